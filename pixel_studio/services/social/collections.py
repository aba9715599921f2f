"""Collections: a user's named groups of images (their own or anyone's they may see).

Everything collections do is here: create, rename, describe, make private/public, delete,
add/remove images, list a user's collections, one collection's images, and which of my
collections hold an image (the add-to-collection dialog).

Reads follow the one visibility rule (services/visibility.py) twice: for the collection, and
for each image in it (a public collection may hold an image its owner has since made private;
others do not see that image). A private collection of someone else is NotFound; changing a
collection one can see but does not own is NotAllowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Collection, CollectionImage, Image
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.errors import NotAllowed, NotFound
from pixel_studio.services.social_sql import Cursor, insert_ignore, older_than, visible_image
from pixel_studio.services.users import parse
from pixel_studio.services.visibility import is_visible, visible_to

COVERS = 4  # thumbnails shown on a collection's card


def _title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Give the collection a name.")
    if len(value) > 100:
        raise ValueError("A collection name is 100 characters at most.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("The name contains a character that is not allowed.")
    return value


def _description(value: str) -> str:
    value = value.strip()
    if len(value) > 1000:
        raise ValueError("A description is 1000 characters at most.")
    if "\x00" in value:
        raise ValueError("The description contains a character that is not allowed.")
    return value


class TitleInput(BaseModel):
    title: Annotated[str, AfterValidator(_title)]


class DescriptionInput(BaseModel):
    description: Annotated[str, AfterValidator(_description)]


@dataclass(frozen=True)
class CollectionSummary:
    collection: Collection
    image_count: int  # images the viewer may see in it
    covers: list[Image] = field(default_factory=list)  # the newest few the viewer may see
    is_owner: bool = False


@dataclass(frozen=True)
class CollectionPage:
    items: list[CollectionSummary]
    next_before: Cursor | None  # (created_at, id); None on the last page


@dataclass(frozen=True)
class CollectionImagesPage:
    collection: Collection
    is_owner: bool
    images: list[Image]  # newest added first, only those the viewer may see
    next_before: Cursor | None  # (added_at, entry id); None on the last page


@dataclass(frozen=True)
class CollectionChoice:
    """One row of the add-to-collection dialog."""

    id: int
    title: str
    private: bool
    holds: bool  # the image is already in it


def create_collection(
    session: Session,
    cache: Cache,
    owner_id: int,
    title: str,
    *,
    description: str = "",
    private: bool = False,
) -> Collection:
    """A new collection of the owner's. Commits. InvalidInput(field=title/description)."""
    rate_limits.hit_write(cache, owner_id)  # the write tier, per user, before any work
    name = parse(TitleInput, {"title": title}).title
    text = parse(DescriptionInput, {"description": description}).description
    collection = Collection(
        user_id=owner_id, title=name, description=text, private=private, created_at=utcnow()
    )
    session.add(collection)
    session.commit()
    cached.bump(cache, cached.user_scope(owner_id))
    return collection


def rename_collection(
    session: Session, cache: Cache, owner_id: int, collection_id: int, title: str
) -> Collection:
    name = parse(TitleInput, {"title": title}).title
    return _change(session, cache, owner_id, collection_id, title=name)


def describe_collection(
    session: Session, cache: Cache, owner_id: int, collection_id: int, description: str
) -> Collection:
    text = parse(DescriptionInput, {"description": description}).description
    return _change(session, cache, owner_id, collection_id, description=text)


def set_collection_privacy(
    session: Session, cache: Cache, owner_id: int, collection_id: int, private: bool
) -> Collection:
    return _change(session, cache, owner_id, collection_id, private=private)


def delete_collection(session: Session, cache: Cache, owner_id: int, collection_id: int) -> None:
    """Delete the owner's collection (its entries go by cascade; the images stay). Commits."""
    rate_limits.hit_write(cache, owner_id)  # the write tier, per user, before any work
    _owned(session, owner_id, collection_id)
    session.execute(delete(Collection).where(col(Collection.id) == collection_id))
    session.commit()
    cached.bump(cache, cached.user_scope(owner_id))


def add_image(
    session: Session, cache: Cache, owner_id: int, collection_id: int, image_id: int
) -> bool:
    """Put an image the owner may see into their collection. Commits. True if added, False
    if it was already there (an image is in a collection at most once)."""
    rate_limits.hit_write(cache, owner_id)  # the write tier, per user, before any work
    _owned(session, owner_id, collection_id)
    visible_image(session, owner_id, image_id)
    entry = {"collection_id": collection_id, "image_id": image_id, "created_at": utcnow()}
    try:
        added = insert_ignore(session, CollectionImage, entry)
        session.commit()
    except IntegrityError:  # the collection or the image was deleted meanwhile
        session.rollback()
        raise NotFound("That collection or image no longer exists.") from None
    if added:
        cached.bump(cache, cached.user_scope(owner_id))
    return added


def remove_image(
    session: Session, cache: Cache, owner_id: int, collection_id: int, image_id: int
) -> bool:
    """Take an image out of the owner's collection. Commits. True if it was there."""
    rate_limits.hit_write(cache, owner_id)  # the write tier, per user, before any work
    _owned(session, owner_id, collection_id)
    result = session.execute(
        delete(CollectionImage).where(
            col(CollectionImage.collection_id) == collection_id,
            col(CollectionImage.image_id) == image_id,
        )
    )
    session.commit()
    removed = bool(result.rowcount)  # type: ignore[attr-defined]
    if removed:
        cached.bump(cache, cached.user_scope(owner_id))
    return removed


def list_collections(
    session: Session,
    viewer_id: int | None,
    user_id: int,
    *,
    before: Cursor | None = None,
    limit: int = 24,
) -> CollectionPage:
    """The user's collections this viewer may see, newest first, with counts and covers."""
    limit = max(1, min(limit, 100))
    stmt = select(Collection).where(
        col(Collection.user_id) == user_id, visible_to(viewer_id, Collection)
    )
    if before is not None:
        stmt = stmt.where(older_than(col(Collection.created_at), col(Collection.id), before))
    stmt = stmt.order_by(col(Collection.created_at).desc(), col(Collection.id).desc())
    rows = list(session.exec(stmt.limit(limit + 1).execution_options(populate_existing=True)))
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [c.id for c in rows]
    counts: dict[int, int] = {}
    covers: dict[int, list[Image]] = {}
    if ids:
        visible = visible_to(viewer_id, Image)
        counts = {
            cid: int(n)
            for cid, n in session.exec(
                select(CollectionImage.collection_id, func.count())
                .join(Image, col(Image.id) == col(CollectionImage.image_id))
                .where(col(CollectionImage.collection_id).in_(ids), visible)
                .group_by(col(CollectionImage.collection_id))
            )
        }
        # Covers: a window over each collection's newest visible entries, one query.
        rank = (
            func.row_number()
            .over(
                partition_by=col(CollectionImage.collection_id),
                order_by=(col(CollectionImage.created_at).desc(), col(CollectionImage.id).desc()),
            )
            .label("rank")
        )
        ranked = (
            select(CollectionImage.collection_id, CollectionImage.image_id, rank)
            .join(Image, col(Image.id) == col(CollectionImage.image_id))
            .where(col(CollectionImage.collection_id).in_(ids), visible)
            .subquery()
        )
        for cid, image in session.exec(
            select(ranked.c.collection_id, Image)
            .join(Image, col(Image.id) == ranked.c.image_id)
            .where(ranked.c.rank <= COVERS)
            .order_by(ranked.c.collection_id, ranked.c.rank)
        ):
            covers.setdefault(cid, []).append(image)
    items = [
        CollectionSummary(
            collection=c,
            image_count=counts.get(c.id or 0, 0),
            covers=covers.get(c.id or 0, []),
            is_owner=viewer_id == c.user_id,
        )
        for c in rows
    ]
    last = rows[-1] if rows and more else None
    return CollectionPage(
        items=items, next_before=(last.created_at, last.id or 0) if last is not None else None
    )


def get_collection(session: Session, viewer_id: int | None, collection_id: int) -> Collection:
    """The collection, if this viewer may see it; NotFound otherwise."""
    collection = session.get(Collection, collection_id, populate_existing=True)
    if collection is None or not is_visible(viewer_id, collection):
        raise NotFound("That collection does not exist or is private.")
    return collection


def collection_images(
    session: Session,
    viewer_id: int | None,
    collection_id: int,
    *,
    before: Cursor | None = None,
    limit: int = 24,
) -> CollectionImagesPage:
    """One collection's images the viewer may see, newest added first, keyset-paged on
    (entry created_at, entry id)."""
    collection = get_collection(session, viewer_id, collection_id)
    limit = max(1, min(limit, 100))
    stmt = (
        select(Image, CollectionImage.created_at, CollectionImage.id)
        .join(CollectionImage, col(CollectionImage.image_id) == col(Image.id))
        .where(col(CollectionImage.collection_id) == collection_id, visible_to(viewer_id, Image))
    )
    if before is not None:
        stmt = stmt.where(
            older_than(col(CollectionImage.created_at), col(CollectionImage.id), before)
        )
    stmt = stmt.order_by(col(CollectionImage.created_at).desc(), col(CollectionImage.id).desc())
    rows = list(session.exec(stmt.limit(limit + 1).execution_options(populate_existing=True)))
    more = len(rows) > limit
    rows = rows[:limit]
    return CollectionImagesPage(
        collection=collection,
        is_owner=viewer_id == collection.user_id,
        images=[image for image, _, _ in rows],
        next_before=(rows[-1][1], rows[-1][2] or 0) if rows and more else None,
    )


def collections_for_image(session: Session, owner_id: int, image_id: int) -> list[CollectionChoice]:
    """All the owner's collections, newest first, each saying whether it holds the image:
    the add-to-collection dialog. NotFound if the owner may not see the image."""
    visible_image(session, owner_id, image_id)
    holding = set(
        session.exec(
            select(CollectionImage.collection_id)
            .join(Collection, col(Collection.id) == col(CollectionImage.collection_id))
            .where(col(Collection.user_id) == owner_id, col(CollectionImage.image_id) == image_id)
        )
    )
    mine = session.exec(
        select(Collection.id, Collection.title, Collection.private)
        .where(col(Collection.user_id) == owner_id)
        .order_by(col(Collection.created_at).desc(), col(Collection.id).desc())
    )
    return [
        CollectionChoice(id=cid or 0, title=title, private=private, holds=cid in holding)
        for cid, title, private in mine
    ]


def _owned(session: Session, owner_id: int, collection_id: int) -> Collection:
    collection = get_collection(session, owner_id, collection_id)  # NotFound if private
    if collection.user_id != owner_id:
        raise NotAllowed("Only the owner can change a collection.")
    return collection


def _change(
    session: Session, cache: Cache, owner_id: int, collection_id: int, **values: object
) -> Collection:
    rate_limits.hit_write(cache, owner_id)  # the write tier, per user, before any work
    collection = _owned(session, owner_id, collection_id)
    session.execute(update(Collection).where(col(Collection.id) == collection_id).values(**values))
    session.commit()
    session.refresh(collection)
    cached.bump(cache, cached.user_scope(owner_id))
    return collection
