"""The image page's read model, and the owner's title edit.

The shared part (image fields, creator, counts) is cached under image_scope(image); what
depends on the viewer (may they see it, have they liked it, is it theirs) is decided on every
read, never stored in the shared entry. A private image asked for by anyone but its owner is
NotFound, exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.direct_rows import select_rows
from pixel_studio.models import Image, Like, User
from pixel_studio.services import cached
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.visibility import Owned, is_visible, owner_hidden
from pixel_studio.storage.images import display_key

DETAIL_TTL = 60
TITLE_MAX = 120


@dataclass(frozen=True)
class ImageInfo:
    """Everything the page shows that is the same for every viewer (the cached part)."""

    id: int
    user_id: int
    set_id: int
    parent_id: int | None
    prompt: str
    title: str | None
    model: str
    style: str | None
    params: dict[str, Any]
    width: int
    height: int
    seed: int | None
    private: bool
    original_key: str
    thumbnail_key: str
    like_count: int
    comment_count: int
    created_at: datetime
    creator_username: str
    creator_avatar_key: str | None
    # The creator is suspended (or deleted): the visibility rule hides the image from others.
    # Cached with the rest; suspending or restoring bumps each of the creator's image scopes.
    owner_suspended: bool = False


@dataclass(frozen=True)
class ImageDetail:
    image: ImageInfo
    is_owner: bool
    viewer_has_liked: bool


_INFO = TypeAdapter(ImageInfo)


def get_image_detail(
    session: Session, cache: Cache, viewer_id: int | None, image_id: int
) -> ImageDetail:
    info = cached.get_or_load(
        cache,
        f"image-detail:{image_id}",
        [cached.image_scope(image_id)],
        DETAIL_TTL,
        lambda: load_image_info(session, image_id),
        _INFO,
    )
    # Owned's members are plain attributes; a frozen dataclass only reads them, which is all
    # the rule does.
    if not is_visible(viewer_id, cast(Owned, info), owner_suspended=info.owner_suspended):
        raise NotFound("That image does not exist or is private.")
    liked = False
    if viewer_id is not None:  # read image_like itself: never a shared cache entry
        mine = col(Like.user_id) == viewer_id, col(Like.image_id) == image_id
        liked = session.exec(select(Like.user_id).where(*mine)).first() is not None
    return ImageDetail(image=info, is_owner=viewer_id == info.user_id, viewer_has_liked=liked)


def visitor_picture_key(session: Session, cache: Cache, image_id: int) -> str | None:
    """The stored key of the picture a visitor's image page shows, through the page's own
    cached entry; None when a visitor may not see the image (private, hidden, missing)."""
    try:
        return display_key(get_image_detail(session, cache, None, image_id).image)
    except NotFound:
        return None


# The columns of ImageInfo, in its field order: plain Core rows, no ORM entity to build, track
# and refresh (the image's page is read far more often than anything here is written).
_INFO_COLUMNS = (
    Image.id,
    Image.user_id,
    Image.set_id,
    Image.parent_id,
    Image.prompt,
    Image.title,
    Image.model,
    Image.style,
    Image.params,
    Image.width,
    Image.height,
    Image.seed,
    Image.private,
    Image.original_key,
    Image.thumbnail_key,
    Image.like_count,
    Image.comment_count,
    Image.created_at,
    User.username,
    User.avatar_key,
    owner_hidden(),  # suspended or deleted: the visibility rule's "suspended"
)


# Built once, the id bound per call (building the SELECT cost more than running it).
_INFO_STMT = (
    sa_select(*_INFO_COLUMNS)  # type: ignore[call-overload]
    .join(User, col(User.id) == col(Image.user_id))
    .where(col(Image.id) == bindparam("image_id"))
)


def load_image_info(session: Session, image_id: int) -> ImageInfo:
    """The image from the database (no visibility check: callers apply it)."""
    rows = select_rows(session.connection(), _INFO_STMT, {"image_id": image_id})
    if not rows:
        raise NotFound("That image does not exist or is private.")
    values = list(rows[0])
    values[8] = dict(values[8] or {})  # params: a copy, never the driver's object
    return ImageInfo(*values)


def set_image_title(
    session: Session, cache: Cache, viewer_id: int, image_id: int, title: str | None
) -> str | None:
    """Set (or clear, with None or blank) the owner's title. Commits; returns the title kept.

    NotFound for anyone but the owner; InvalidInput over TITLE_MAX characters.
    """
    clean = " ".join((title or "").split()) or None
    if clean is not None and len(clean) > TITLE_MAX:
        raise InvalidInput(f"A title is at most {TITLE_MAX} characters.", field="title")
    result = session.execute(
        update(Image)
        .where(col(Image.id) == image_id, col(Image.user_id) == viewer_id)
        .values(title=clean)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise NotFound("That image does not exist or is private.")
    session.commit()
    # The title shows on the page, on cards (explore, feeds, profiles) and in search.
    cached.bump(cache, cached.image_scope(image_id), cached.PUBLIC_IMAGES)
    return clean
