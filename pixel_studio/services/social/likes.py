"""Likes: like/unlike an image, the images a user liked, which of many images the viewer liked.

`image.like_count` stays exact under any concurrency: the like row is inserted with
`ON CONFLICT DO NOTHING` (or deleted), and only when that changed a row does one
`UPDATE image SET like_count = like_count ± 1` run, in the same transaction (social_sql.py).
The trending score (services/social/ranking.py) and the owner's notification are written in that
transaction too. Only images the viewer may see can be liked; anything else is NotFound.

The liked list is cached per (liker, viewer) page under three scopes: likes_scope(liker)
(their likes and unlikes), PUBLIC_IMAGES (every change to a public image: its counts, title,
privacy, deletion, including those of a set; a liked image of someone else can only be on the
list while public, so any change that moves it bumps this) and user_scope(viewer) (the
viewer's own private images, which only they see on a list: their likes, privacy and deletion
bump the owner's scope). PUBLIC_IMAGES is bumped often on a busy site, so a warm page lives
about as long as an explore or feed page; a narrower per-image stamp would need the ids of
hidden liked images too (one turned public again must reappear) and a second load to be
race-free, for a read that is one index walk anyway.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Image, Like
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social import notifications, ranking
from pixel_studio.services.social.cards import ImageCard, card_select, limit_of, to_card
from pixel_studio.services.social.notifications import Kind, NotifyPublish
from pixel_studio.services.social_sql import (
    Cursor,
    bump_counter,
    insert_ignore,
    older_than,
    visible_image,
)
from pixel_studio.services.visibility import visible_to


@dataclass(frozen=True)
class LikeState:
    """What the like button shows after the action."""

    image_id: int
    liked: bool
    like_count: int
    changed: bool  # False when the call found it already so (a repeated click)


LIKES_TTL = 60  # seconds; likes, unlikes and image changes also bump the scopes
MAX_LIMIT = 100


@dataclass(frozen=True)
class LikedPage:
    items: list[ImageCard]  # newest like first
    next_before: Cursor | None  # (liked_at, image id) to pass as `before`; None on the last page


_PAGE = TypeAdapter(LikedPage)


def like_image(
    session: Session,
    cache: Cache,
    viewer_id: int,
    image_id: int,
    *,
    publish: NotifyPublish | None = None,
) -> LikeState:
    """The viewer likes the image (idempotent). Commits. NotFound unless the viewer may see it."""
    return _set_like(session, cache, viewer_id, image_id, True, publish)


def unlike_image(
    session: Session,
    cache: Cache,
    viewer_id: int,
    image_id: int,
    *,
    publish: NotifyPublish | None = None,
) -> LikeState:
    """The viewer takes their like back (idempotent). Commits. NotFound unless visible."""
    return _set_like(session, cache, viewer_id, image_id, False, publish)


def _set_like(
    session: Session,
    cache: Cache,
    viewer_id: int,
    image_id: int,
    liked: bool,
    publish: NotifyPublish | None,
) -> LikeState:
    rate_limits.hit_write(cache, viewer_id)  # the write tier, per user, before any work
    image = visible_image(session, viewer_id, image_id)
    recipient: int | None = None
    try:
        if liked:
            row = {"user_id": viewer_id, "image_id": image_id, "created_at": utcnow()}
            changed = insert_ignore(session, Like, row)
        else:
            result = session.execute(
                delete(Like).where(col(Like.user_id) == viewer_id, col(Like.image_id) == image_id)
            )
            changed = result.rowcount == 1  # type: ignore[attr-defined]
        if changed:
            count = session.execute(
                bump_counter(Image, "like_count", image_id, 1 if liked else -1)
            ).scalar_one()
            ranking.update_hot_score(session, image_id)
            owner = image.user_id
            if liked:
                recipient = notifications.notify(
                    session, recipient_id=owner, actor_id=viewer_id, kind=Kind.like, image=image
                )
            else:
                recipient = notifications.retract(
                    session,
                    recipient_id=owner,
                    actor_id=viewer_id,
                    kind=Kind.like,
                    image_id=image_id,
                )
        else:
            count = session.exec(select(Image.like_count).where(col(Image.id) == image_id)).one()
        session.commit()
    except IntegrityError:  # the image was deleted between the check and the insert
        session.rollback()
        raise NotFound("That image does not exist or is private.") from None
    if changed:
        scopes = [cached.image_scope(image_id), cached.likes_scope(viewer_id)]
        scopes.append(cached.user_scope(image.user_id))
        if not image.private:
            scopes.append(cached.PUBLIC_IMAGES)
        cached.bump(cache, *scopes)
        notifications.announce(session, [recipient], publish)
    return LikeState(image_id=image_id, liked=liked, like_count=int(count), changed=changed)


def has_liked(session: Session, viewer_id: int | None, image_ids: Iterable[int]) -> set[int]:
    """Which of these images the viewer liked: one query for a whole grid of hearts."""
    ids = list(dict.fromkeys(image_ids))
    if viewer_id is None or not ids:
        return set()
    rows = session.exec(
        select(Like.image_id).where(col(Like.user_id) == viewer_id, col(Like.image_id).in_(ids))
    )
    return set(rows)


def liked_images(
    session: Session,
    cache: Cache,
    viewer_id: int | None,
    *,
    user_id: int | None = None,
    before: Cursor | None = None,
    limit: int = 24,
) -> LikedPage:
    """The images `user_id` (default: the viewer) liked, as cards, newest like first,
    keyset-paged on (like.created_at, image_id). Only images the viewer may see now are
    listed. Cached per liker and viewer (module docstring: the scopes)."""
    liker = viewer_id if user_id is None else user_id
    if liker is None:
        return LikedPage(items=[], next_before=None)
    limit = max(1, min(limit, MAX_LIMIT))
    scopes = [cached.likes_scope(liker), cached.PUBLIC_IMAGES]
    if viewer_id is not None:
        scopes.append(cached.user_scope(viewer_id))
    after = f"{before[0].isoformat()}/{before[1]}" if before is not None else ""
    return cached.get_or_load(
        cache,
        f"liked:{liker}:{viewer_id or ''}:{limit}:{after}",
        scopes,
        LIKES_TTL,
        lambda: load_liked_images(session, viewer_id, liker, before=before, limit=limit),
        _PAGE,
    )


def load_liked_images(
    session: Session,
    viewer_id: int | None,
    liker_id: int,
    *,
    before: Cursor | None = None,
    limit: int = 24,
) -> LikedPage:
    """liked_images without the cache."""
    stmt = (
        card_select()
        .add_columns(col(Like.created_at))
        .join(Like, col(Like.image_id) == col(Image.id))
        .where(col(Like.user_id) == liker_id, visible_to(viewer_id, Image))
    )
    if before is not None:
        stmt = stmt.where(older_than(col(Like.created_at), col(Like.image_id), before))
    stmt = stmt.order_by(col(Like.created_at).desc(), col(Like.image_id).desc())
    rows = session.execute(stmt.limit(limit_of(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [to_card(row[:16]) for row in rows]
    last = rows[-1] if rows and more else None
    return LikedPage(items=items, next_before=(last[-1], last[0]) if last is not None else None)
