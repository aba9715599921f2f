"""Profiles: a user's header (avatar, counts), their images and their sets, keyset pages.

The owner sees everything of theirs (private images marked); anyone else what is public.
Shared views are cached under user_scope(user) + PUBLIC_IMAGES; the owner's own view, which
holds private images no shared scope tracks, is read from the database. "Viewer follows" is
per viewer, so it is never part of a cached entry: one primary-key lookup per read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from pydantic import TypeAdapter
from sqlalchemy import exists, func, tuple_
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.models import Follow, Image, ImageSet, User
from pixel_studio.services import cached
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social.cards import (
    CardPage,
    after,
    card_select,
    decode_cursor,
    encode_cursor,
    order_by,
    page_of,
)
from pixel_studio.services.visibility import visible_to

PROFILE_TTL = 120
T = TypeVar("T")
MAX_LIMIT = 60


@dataclass(frozen=True)
class Profile:
    user_id: int
    username: str
    avatar_key: str | None
    joined_at: datetime
    image_count: int  # public images; all of them on the owner's own profile
    follower_count: int
    following_count: int
    is_owner: bool = False
    viewer_follows: bool = False


@dataclass(frozen=True)
class SetCard:
    id: int
    prompt: str
    model: str
    created_at: datetime
    image_count: int  # the images this viewer may see
    cover_thumbnail_key: str | None  # the first visible image's thumbnail


@dataclass(frozen=True)
class SetCardPage:
    items: list[SetCard]
    next_cursor: str | None


_PROFILE = TypeAdapter(Profile)
_CARDS = TypeAdapter(CardPage)
_SETS = TypeAdapter(SetCardPage)


def _user_id(session: Session, username: str) -> int:
    # A deleted account's tombstone (services/accounts/account.py) has no profile, nor has a
    # suspended account while the suspension lasts (services/moderation/admin.py).
    found = session.exec(
        select(User.id).where(
            col(User.username) == username,
            col(User.deleted_at).is_(None),
            col(User.suspended_at).is_(None),
        )
    ).one_or_none()
    if found is None:
        raise NotFound("No such user.")
    return int(found)


def _cached(
    cache: Cache,
    name: str,
    user_id: int,
    owner: bool,
    load: Callable[[], T],
    adapter: TypeAdapter[T],
) -> T:
    if owner:
        return load()
    scopes = [cached.user_scope(user_id), cached.PUBLIC_IMAGES]
    return cached.get_or_load(cache, name, scopes, PROFILE_TTL, load, adapter)


def get_profile(session: Session, cache: Cache, viewer_id: int | None, username: str) -> Profile:
    """The profile header as `viewer_id` sees it. NotFound for an unknown username."""
    user_id = _user_id(session, username)
    owner = viewer_id == user_id
    profile = _cached(
        cache,
        f"profile:{user_id}:{int(owner)}",
        user_id,
        owner,
        lambda: load_profile(session, user_id, owner=owner),
        _PROFILE,
    )
    follows = (
        viewer_id is not None
        and not owner
        and session.get(Follow, (viewer_id, user_id)) is not None
    )
    return replace(profile, is_owner=owner, viewer_follows=follows)


def load_profile(session: Session, user_id: int, *, owner: bool) -> Profile:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    images = select(func.count()).select_from(Image).where(col(Image.user_id) == user_id)
    if not owner:
        images = images.where(visible_to(None, Image))
    followers = select(func.count()).select_from(Follow).where(col(Follow.followee_id) == user_id)
    following = select(func.count()).select_from(Follow).where(col(Follow.follower_id) == user_id)
    return Profile(
        user_id=user_id,
        username=user.username,
        avatar_key=user.avatar_key,
        joined_at=user.created_at,
        image_count=session.exec(images).one(),
        follower_count=session.exec(followers).one(),
        following_count=session.exec(following).one(),
    )


def profile_images(
    session: Session,
    cache: Cache,
    viewer_id: int | None,
    username: str,
    *,
    cursor: str | None = None,
    limit: int = 24,
) -> CardPage:
    """The user's images, newest first (the owner's private ones too, marked `private`)."""
    user_id = _user_id(session, username)
    owner = viewer_id == user_id
    limit = max(1, min(limit, MAX_LIMIT))

    def load() -> CardPage:
        stmt = card_select().where(
            col(Image.user_id) == user_id, visible_to(viewer_id if owner else None, Image)
        )
        keyset = after("recent", cursor)
        if keyset is not None:
            stmt = stmt.where(keyset)
        stmt = stmt.order_by(*order_by("recent")).limit(limit + 1)
        return page_of(session.execute(stmt).all(), limit, "recent")

    name = f"profile-images:{user_id}:{limit}:{cursor or ''}"
    return _cached(cache, name, user_id, owner, load, _CARDS)


def profile_sets(
    session: Session,
    cache: Cache,
    viewer_id: int | None,
    username: str,
    *,
    cursor: str | None = None,
    limit: int = 24,
) -> SetCardPage:
    """The user's sets, newest first: all of them for the owner, else those holding at least
    one public image (a set is as visible as its images)."""
    user_id = _user_id(session, username)
    owner = viewer_id == user_id
    limit = max(1, min(limit, MAX_LIMIT))
    shown = visible_to(viewer_id if owner else None, Image)

    def load() -> SetCardPage:
        stmt = select(ImageSet).where(col(ImageSet.user_id) == user_id)
        if not owner:
            stmt = stmt.where(
                exists().where(col(Image.set_id) == col(ImageSet.id), shown)  # type: ignore[arg-type]
            )
        if cursor is not None:
            at, set_id = decode_cursor(cursor, "recent")
            keyset = tuple_(col(ImageSet.created_at), col(ImageSet.id)) < tuple_(at, set_id)
            stmt = stmt.where(keyset)
        stmt = stmt.order_by(col(ImageSet.created_at).desc(), col(ImageSet.id).desc())
        rows = list(session.exec(stmt.limit(limit + 1)).all())
        more = len(rows) > limit
        rows = rows[:limit]
        covers: dict[int, list[str]] = {}
        ids = [s.id for s in rows]
        if ids:
            images = session.exec(
                select(Image.set_id, Image.thumbnail_key)
                .where(col(Image.set_id).in_(ids), shown)
                .order_by(col(Image.id))
            ).all()
            for set_id, key in images:
                covers.setdefault(set_id, []).append(key)
        items = [
            SetCard(
                id=s.id or 0,
                prompt=s.prompt,
                model=s.model,
                created_at=s.created_at,
                image_count=len(covers.get(s.id or 0, [])),
                cover_thumbnail_key=next(iter(covers.get(s.id or 0, [])), None),
            )
            for s in rows
        ]
        last = rows[-1] if rows and more else None
        next_cursor = (
            encode_cursor("recent", last.created_at.isoformat(), last.id or 0) if last else None
        )
        return SetCardPage(items=items, next_cursor=next_cursor)

    name = f"profile-sets:{user_id}:{limit}:{cursor or ''}"
    return _cached(cache, name, user_id, owner, load, _SETS)
