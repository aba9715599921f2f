"""Follows: follow/unfollow a user, followers and following lists, counts.

Follow and unfollow are idempotent (`ON CONFLICT DO NOTHING` / DELETE, social_sql.py); the
followed user is notified in the same transaction, and an unfollow takes back that notification
while it is unread. Lists are keyset-paged on (follow.created_at, user id), newest first, and
say for each row whether the viewer follows that user (one query per page).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, false, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Follow, User
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.social import notifications
from pixel_studio.services.social.notifications import Kind, NotifyPublish
from pixel_studio.services.social_sql import Cursor, insert_ignore, older_than


@dataclass(frozen=True)
class FollowState:
    """What the follow button shows after the action."""

    user_id: int  # the followed (or unfollowed) user
    following: bool
    follower_count: int
    changed: bool  # False when it already was so


@dataclass(frozen=True)
class FollowRow:
    user_id: int
    username: str
    avatar_key: str | None
    followed_at: datetime
    viewer_follows: bool  # whether the viewer follows this row's user (False when anonymous)


@dataclass(frozen=True)
class FollowPage:
    items: list[FollowRow]
    next_before: Cursor | None  # (followed_at, user id) to pass as `before`; None at the end


@dataclass(frozen=True)
class FollowCounts:
    followers: int
    following: int


def follow(
    session: Session,
    cache: Cache,
    viewer_id: int,
    user_id: int,
    *,
    publish: NotifyPublish | None = None,
) -> FollowState:
    """The viewer follows `user_id` (idempotent). Commits. InvalidInput for oneself,
    NotFound for a user that does not exist."""
    return _set(session, cache, viewer_id, user_id, True, publish)


def unfollow(
    session: Session,
    cache: Cache,
    viewer_id: int,
    user_id: int,
    *,
    publish: NotifyPublish | None = None,
) -> FollowState:
    """The viewer stops following `user_id` (idempotent). Commits."""
    return _set(session, cache, viewer_id, user_id, False, publish)


def _set(
    session: Session,
    cache: Cache,
    viewer_id: int,
    user_id: int,
    on: bool,
    publish: NotifyPublish | None,
) -> FollowState:
    rate_limits.hit_write(cache, viewer_id)  # the write tier, per user, before any work
    if viewer_id == user_id:
        raise InvalidInput("You cannot follow yourself.", field="user_id")
    target = session.get(User, user_id)
    if target is None or target.deleted_at is not None:  # a deleted account's tombstone
        raise NotFound("That user does not exist.")
    recipient: int | None = None
    try:
        if on:
            row = {"follower_id": viewer_id, "followee_id": user_id, "created_at": utcnow()}
            changed = insert_ignore(session, Follow, row)
            if changed:
                recipient = notifications.notify(
                    session, recipient_id=user_id, actor_id=viewer_id, kind=Kind.follow
                )
        else:
            result = session.execute(
                delete(Follow).where(
                    col(Follow.follower_id) == viewer_id, col(Follow.followee_id) == user_id
                )
            )
            changed = result.rowcount == 1  # type: ignore[attr-defined]
            if changed:
                recipient = notifications.retract(
                    session, recipient_id=user_id, actor_id=viewer_id, kind=Kind.follow
                )
        session.commit()
    except IntegrityError:  # the user was deleted meanwhile
        session.rollback()
        raise NotFound("That user does not exist.") from None
    if changed:
        cached.bump(
            cache,
            cached.follows_scope(viewer_id),
            cached.user_scope(viewer_id),
            cached.user_scope(user_id),
        )
        notifications.announce(session, [recipient], publish)
    return FollowState(user_id, on, counts(session, user_id).followers, changed)


def counts(session: Session, user_id: int) -> FollowCounts:
    """How many follow this user, and how many this user follows."""
    followers = session.exec(
        select(func.count()).select_from(Follow).where(col(Follow.followee_id) == user_id)
    ).one()
    following = session.exec(
        select(func.count()).select_from(Follow).where(col(Follow.follower_id) == user_id)
    ).one()
    return FollowCounts(followers=int(followers), following=int(following))


def is_following(session: Session, viewer_id: int | None, user_ids: Iterable[int]) -> set[int]:
    """Which of these users the viewer follows (one query)."""
    ids = list(dict.fromkeys(user_ids))
    if viewer_id is None or not ids:
        return set()
    rows = session.exec(
        select(Follow.followee_id).where(
            col(Follow.follower_id) == viewer_id, col(Follow.followee_id).in_(ids)
        )
    )
    return set(rows)


def followers(
    session: Session,
    viewer_id: int | None,
    user_id: int,
    *,
    before: Cursor | None = None,
    limit: int = 30,
) -> FollowPage:
    """The users who follow `user_id`, newest follow first."""
    return _list(session, viewer_id, user_id, incoming=True, before=before, limit=limit)


def following(
    session: Session,
    viewer_id: int | None,
    user_id: int,
    *,
    before: Cursor | None = None,
    limit: int = 30,
) -> FollowPage:
    """The users `user_id` follows, newest follow first."""
    return _list(session, viewer_id, user_id, incoming=False, before=before, limit=limit)


def _list(
    session: Session,
    viewer_id: int | None,
    user_id: int,
    *,
    incoming: bool,
    before: Cursor | None,
    limit: int,
) -> FollowPage:
    target = session.get(User, user_id)
    if target is None or target.deleted_at is not None:  # a deleted account's tombstone
        raise NotFound("That user does not exist.")
    limit = max(1, min(limit, 100))
    # `other` is the user each row is about: the follower, or the one followed.
    other, anchor = (
        (col(Follow.follower_id), col(Follow.followee_id))
        if incoming
        else (col(Follow.followee_id), col(Follow.follower_id))
    )
    mine = aliased(Follow)
    # The viewer's own follow of each row's user, joined in the same query.
    is_viewer = col(mine.follower_id) == viewer_id if viewer_id is not None else false()
    viewer_match = and_(is_viewer, col(mine.followee_id) == other)
    stmt = (
        select(User, Follow.created_at, mine.follower_id)
        .join(Follow, col(User.id) == other)
        .outerjoin(mine, viewer_match)
        .where(anchor == user_id)
    )
    if before is not None:
        stmt = stmt.where(older_than(col(Follow.created_at), other, before))
    stmt = stmt.order_by(col(Follow.created_at).desc(), other.desc()).limit(limit + 1)
    rows = list(session.exec(stmt))
    more = len(rows) > limit
    items = [
        FollowRow(
            user_id=user.id or 0,
            username=user.username,
            avatar_key=user.avatar_key,
            followed_at=at,
            viewer_follows=mine_id is not None,
        )
        for user, at, mine_id in rows[:limit]
    ]
    last = items[-1] if items and more else None
    return FollowPage(
        items=items, next_before=(last.followed_at, last.user_id) if last is not None else None
    )
