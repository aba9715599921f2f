"""Images: the one visibility rule, the URL a viewer gets for an image's files, and the
owner's changes to one image (privacy, deletion).

Every read of an image (set pages, feeds, remix, the media route) asks `can_view_image`, so
"who may see this" is decided in exactly one place (DESIGN.md, Security).

Where the files live follows the same rule: a public image's files sit under `images/`, which
deployments may serve to anyone; a private image's under `private/images/`, which they never
do (storage/base.PRIVATE_PREFIX). Changing the privacy moves the files under fresh names, so a
URL handed out before the change stops working after it.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache, get_cache
from pixel_studio.models import Image
from pixel_studio.services import cached
from pixel_studio.services.errors import Conflict, NotFound
from pixel_studio.services.visibility import is_visible
from pixel_studio.storage import Storage, content_type_for
from pixel_studio.storage.base import PRIVATE_PREFIX, is_private_key
from pixel_studio.storage.images import display_key, image_keys

log = logging.getLogger(__name__)

# Ids are INTEGER columns: 32-bit signed on PostgreSQL, which refuses a larger one outright.
MAX_ID = 2**31 - 1

# Long enough for a page to load every thumbnail, short enough that a copied link dies soon.
PRIVATE_URL_SECONDS = 300


def can_view_image(viewer_id: int | None, image: Image) -> bool:
    """Anyone may see a public image; only its owner may see a private one (the one rule in
    services/visibility.py, so Python and SQL checks can never disagree)."""
    return is_visible(viewer_id, image)


def get_visible_image(session: Session, viewer_id: int | None, image_id: int) -> Image:
    """The image, if this viewer may see it. NotFound otherwise: a private image's existence
    is not revealed to others."""
    image = session.get(Image, image_id) if 0 < image_id <= MAX_ID else None
    if image is None or not can_view_image(viewer_id, image):
        raise NotFound("That image does not exist or is private.")
    return image


def image_url(
    storage: Storage,
    image: Image,
    viewer_id: int | None,
    *,
    thumbnail: bool = False,
    expires_in: int = PRIVATE_URL_SECONDS,
) -> str:
    """A URL for the image's original (or thumbnail) for this viewer.

    Public images get the stable, cacheable URL; private ones a short-lived URL bound to the
    viewer, issued only after the visibility rule passed.
    """
    key = image.thumbnail_key if thumbnail else image.original_key
    return _file_url(storage, image, key, viewer_id, expires_in)


def display_url(storage: Storage, image: Image, viewer_id: int | None) -> str:
    """A URL for the file the image's page shows it with (storage.images.display_key)."""
    return _file_url(storage, image, display_key(image), viewer_id, PRIVATE_URL_SECONDS)


def _file_url(
    storage: Storage, image: Image, key: str, viewer_id: int | None, expires_in: int
) -> str:
    # Only privacy decides which kind of URL: `image` comes from a read that applied the whole
    # rule (suspended owners included) already, and is often a read model, not a row.
    if not is_visible(viewer_id, image, owner_suspended=False):
        raise NotFound("That image does not exist or is private.")
    if not image.private:
        return storage.public_url(key)
    return storage.private_url(key, viewer_id, expires_in)


def _owned_image(
    session: Session, viewer_id: int, image_id: int, *, moderator: bool = False
) -> Image:
    # populate_existing: decide on the row as it is now, not as this session last saw it.
    image = session.get(Image, image_id, populate_existing=True)
    if image is None or (image.user_id != viewer_id and not moderator):
        # The same answer whether it is someone else's or missing: nothing is revealed.
        raise NotFound("That image does not exist or is not yours.")
    return image


def _in_place(image: Image, private: bool) -> bool:
    keys = (image.original_key, image.thumbnail_key)
    return image.private == private and all(is_private_key(k) == private for k in keys)


def _copy(storage: Storage, pairs: list[tuple[str, str]]) -> None:
    """Copy each (old, new) pair; on any failure remove the copies made and re-raise."""
    try:
        for old, new in pairs:
            storage.put(new, storage.get(old), content_type_for(new))
    except BaseException:
        _discard(storage, [new for _old, new in pairs])
        raise


def _discard(storage: Storage, keys: list[str]) -> None:
    """Best-effort delete: anything left is unreferenced, and `storage sweep` removes it."""
    try:
        storage.delete_many(keys)
    except Exception:
        log.exception("could not delete files %s; the storage sweep will remove them", keys)


def _bump(cache: Cache | None, image_id: int, owner_id: int) -> None:
    # The image's page, every public listing (explore, search, feeds) and the owner's profile
    # show it or its URLs: their cached copies must not outlive the change.
    cached.bump(
        get_cache() if cache is None else cache,  # an empty MemoryCache is falsy
        cached.image_scope(image_id),
        cached.PUBLIC_IMAGES,
        cached.user_scope(owner_id),
    )


def set_image_privacy(
    session: Session,
    storage: Storage,
    viewer_id: int,
    image_id: int,
    private: bool,
    *,
    cache: Cache | None = None,
) -> Image:
    """Make the viewer's image private or public; its files move under fresh keys. Commits.

    Only the owner may; anyone else gets NotFound. Cached copies of the image's page, public
    listings and the owner's profile are invalidated (`cache`: the app's when left out). The
    steps are ordered so that the row always
    names files that exist: copy the files to their new keys, switch the row to them (one
    conditional UPDATE, so a concurrent change wins cleanly: Conflict), then delete the old
    files. A failed copy or commit removes the new copies and leaves everything as it was
    (StorageError or the database error propagates); a failed delete of the old files only
    leaves unreferenced files, which the storage sweep removes.
    """
    image = _owned_image(session, viewer_id, image_id)
    if _in_place(image, private):
        return image
    old = (image.original_key, image.thumbnail_key)
    # A fresh name, not just a new prefix: a public URL that a CDN or a browser kept can
    # never come back to life, even if the image is made public again later.
    new = image_keys(image.user_id, image.set_id, uuid.uuid4().hex, private=private)
    _copy(storage, list(zip(old, new, strict=True)))
    try:
        result = session.execute(
            update(Image)
            .where(col(Image.id) == image_id, col(Image.original_key) == old[0])
            .values(private=private, original_key=new[0], thumbnail_key=new[1])
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("The image changed meanwhile. Please try again.")
        session.commit()
    except BaseException:
        session.rollback()
        _discard(storage, list(new))
        raise
    _discard(storage, list(old))
    session.refresh(image)
    _bump(cache, image_id, image.user_id)
    return image


def delete_image(
    session: Session,
    storage: Storage,
    viewer_id: int,
    image_id: int,
    *,
    cache: Cache | None = None,
    moderator: bool = False,
) -> None:
    """Delete the viewer's image: the row (likes, comments, collection entries go with it by
    cascade; remixes keep existing without their parent), then its files. Commits.

    Only the owner may; anyone else gets NotFound. Files go after the commit: a failed commit
    must not leave a row pointing at deleted files, a failed file delete only leaves files no
    row references (logged, and removed by the storage sweep).

    `moderator=True` is the admin's path (services/moderation/admin.remove_image, which checked the
    admin and added its audit row to this session: it commits with the deletion).
    """
    image = _owned_image(session, viewer_id, image_id, moderator=moderator)
    keys = [image.original_key, image.thumbnail_key]
    owner_id = image.user_id
    session.execute(delete(Image).where(col(Image.id) == image_id))
    session.commit()
    _bump(cache, image_id, owner_id)
    _discard(storage, keys)


def misplaced_image_ids(session: Session) -> list[int]:
    """Images whose files are not where their privacy says: private ones stored before the
    `private/` prefix existed (public on S3 under the bucket policy), or the reverse."""
    rows = session.exec(
        select(Image.id).where(
            or_(
                col(Image.private) & ~col(Image.original_key).startswith(PRIVATE_PREFIX),
                ~col(Image.private) & col(Image.original_key).startswith(PRIVATE_PREFIX),
            )
        )
    ).all()
    return [image_id for image_id in rows if image_id is not None]


def move_misplaced_files(session: Session, storage: Storage) -> int:
    """Move every misplaced image's files to where its privacy says (`pixel-studio storage
    rekey`, once after upgrading). The same steps as a privacy change; returns how many."""
    moved = 0
    for image_id in misplaced_image_ids(session):
        image = session.get(Image, image_id)
        if image is None:
            continue  # deleted meanwhile
        set_image_privacy(session, storage, image.user_id, image_id, image.private)
        moved += 1
    return moved
