"""Likes: like/unlike an image, the images a user liked, which of many images the viewer liked.

`image.like_count` stays exact under any concurrency: the like row is inserted with
`ON CONFLICT DO NOTHING` (or deleted), and only when that changed a row does one
`UPDATE image SET like_count = like_count ± 1` run, in the same transaction (social_sql.py).
The trending score (services/ranking.py) and the owner's notification are written in that
transaction too. Only images the viewer may see can be liked; anything else is NotFound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Image, Like
from pixel_studio.services import cached, notifications, ranking, rate_limits
from pixel_studio.services.errors import NotFound
from pixel_studio.services.notifications import Kind, NotifyPublish
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


@dataclass(frozen=True)
class LikedImage:
    image: Image
    liked_at: datetime


@dataclass(frozen=True)
class LikedPage:
    items: list[LikedImage]
    next_before: Cursor | None  # (liked_at, image id) to pass as `before`; None on the last page


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
    viewer_id: int | None,
    *,
    user_id: int | None = None,
    before: Cursor | None = None,
    limit: int = 24,
) -> LikedPage:
    """The images `user_id` (default: the viewer) liked, newest like first, keyset-paged on
    (like.created_at, image_id). Only images the viewer may still see are listed."""
    owner = viewer_id if user_id is None else user_id
    if owner is None:
        return LikedPage(items=[], next_before=None)
    limit = max(1, min(limit, 100))
    stmt = (
        select(Image, Like.created_at)
        .join(Like, col(Like.image_id) == col(Image.id))
        .where(col(Like.user_id) == owner, visible_to(viewer_id, Image))
    )
    if before is not None:
        stmt = stmt.where(older_than(col(Like.created_at), col(Like.image_id), before))
    stmt = stmt.order_by(col(Like.created_at).desc(), col(Like.image_id).desc()).limit(limit + 1)
    rows = list(session.exec(stmt.execution_options(populate_existing=True)))
    more = len(rows) > limit
    items = [LikedImage(image=image, liked_at=at) for image, at in rows[:limit]]
    last = items[-1] if items and more else None
    return LikedPage(
        items=items,
        next_before=(last.liked_at, last.image.id or 0) if last is not None else None,
    )
