"""Notifications: a like, a comment, a reply or a new follower tells the other user.

Writers (likes, comments, follows) call `notify` inside their own transaction, so the
notification commits or rolls back with the action. It is never written for one's own action,
nor about an image the recipient cannot see. Reads apply the visibility rule again (an image
made private later drops out of other users' lists); a deleted image or comment takes its
notifications with it (foreign keys cascade), a comment deleted with replies stays as "deleted".

After the commit, the caller passes the recipients to `announce`, which publishes each one's
new unread count (events.NotificationEvent) so every open tab updates its bell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, delete, false, func, or_, update
from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.db import utcnow
from pixel_studio.events import NotificationEvent
from pixel_studio.models import Comment, Image, Notification, User
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social_sql import Cursor, older_than
from pixel_studio.services.visibility import is_visible, visible_to

NotifyPublish = Callable[[NotificationEvent], None]


class Kind(StrEnum):
    like = "like"  # someone liked your image
    comment = "comment"  # someone commented on your image
    reply = "reply"  # someone replied to your comment
    follow = "follow"  # someone followed you


@dataclass(frozen=True)
class NotificationItem:
    id: int
    kind: str  # a Kind value
    created_at: datetime
    read: bool
    actor_id: int | None
    actor_username: str | None
    actor_avatar_key: str | None  # storage key; the UI turns it into a URL
    image_id: int | None  # the image the like/comment/reply is about (None for a follow)
    comment_id: int | None  # the new comment or reply (None for a like or a follow)
    comment_deleted: bool  # the comment was deleted since: show "deleted", no link


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationItem]
    unread: int
    next_before: Cursor | None  # pass as `before` for the next page; None on the last page


def notify(
    session: Session,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    image: Image | None = None,
    comment_id: int | None = None,
) -> int | None:
    """Add a notification in the caller's transaction (no commit). Returns the recipient's id
    when one was written, None when skipped (own action, or an image they cannot see)."""
    if recipient_id == actor_id:
        return None
    if image is not None and not is_visible(recipient_id, image):
        return None
    session.add(
        Notification(
            user_id=recipient_id,
            actor_id=actor_id,
            kind=kind,
            image_id=image.id if image is not None else None,
            comment_id=comment_id,
            created_at=utcnow(),
        )
    )
    return recipient_id


def retract(
    session: Session,
    *,
    recipient_id: int,
    actor_id: int,
    kind: Kind,
    image_id: int | None = None,
) -> int | None:
    """Remove the unread notification an undone action left (unlike, unfollow), so a
    like/unlike loop does not flood the recipient. No commit. Returns the recipient's id when
    something was removed."""
    stmt = delete(Notification).where(
        col(Notification.user_id) == recipient_id,
        col(Notification.actor_id) == actor_id,
        col(Notification.kind) == kind,
        col(Notification.read) == false(),
    )
    if image_id is not None:
        stmt = stmt.where(col(Notification.image_id) == image_id)
    result = session.execute(stmt)
    return recipient_id if result.rowcount else None  # type: ignore[attr-defined]


def _shown(viewer_id: int) -> ColumnElement[bool]:
    """The notifications a user's list shows: theirs, about nothing or a visible image."""
    return (col(Notification.user_id) == viewer_id) & or_(
        col(Notification.image_id).is_(None), visible_to(viewer_id, Image)
    )


def unread_count(session: Session, viewer_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .outerjoin(Image, col(Image.id) == col(Notification.image_id))
        .where(_shown(viewer_id), col(Notification.read) == false())
    )
    return int(session.exec(stmt).one())


def list_notifications(
    session: Session, viewer_id: int, *, before: Cursor | None = None, limit: int = 30
) -> NotificationPage:
    """The viewer's notifications, newest first, with the actor's name and avatar.

    Keyset pagination on (created_at, id), served by the (user_id, created_at) index."""
    limit = max(1, min(limit, 100))
    stmt = (
        select(Notification, User.username, User.avatar_key, Comment.deleted)
        .outerjoin(User, col(User.id) == col(Notification.actor_id))
        .outerjoin(Image, col(Image.id) == col(Notification.image_id))
        .outerjoin(Comment, col(Comment.id) == col(Notification.comment_id))
        .where(_shown(viewer_id))
    )
    if before is not None:
        stmt = stmt.where(older_than(col(Notification.created_at), col(Notification.id), before))
    stmt = stmt.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
    rows = list(session.exec(stmt.limit(limit + 1).execution_options(populate_existing=True)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        NotificationItem(
            id=n.id or 0,
            kind=n.kind,
            created_at=n.created_at,
            read=n.read,
            actor_id=n.actor_id,
            actor_username=username,
            actor_avatar_key=avatar,
            image_id=n.image_id,
            comment_id=n.comment_id,
            comment_deleted=bool(deleted),
        )
        for n, username, avatar, deleted in rows
    ]
    last = items[-1] if items and more else None
    return NotificationPage(
        items=items,
        unread=unread_count(session, viewer_id),
        next_before=(last.created_at, last.id) if last is not None else None,
    )


def mark_read(
    session: Session,
    viewer_id: int,
    notification_id: int,
    *,
    publish: NotifyPublish | None = None,
) -> int:
    """Mark one of the viewer's notifications read. Commits; returns the unread count left.
    Someone else's notification is NotFound."""
    result = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.user_id) == viewer_id)
        .values(read=True)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise NotFound("That notification does not exist.")
    session.commit()
    return announce(session, [viewer_id], publish)[viewer_id]


def mark_all_read(session: Session, viewer_id: int, *, publish: NotifyPublish | None = None) -> int:
    """Mark every notification of the viewer read. Commits; returns the unread count (0)."""
    session.execute(
        update(Notification)
        .where(col(Notification.user_id) == viewer_id, col(Notification.read) == false())
        .values(read=True)
    )
    session.commit()
    return announce(session, [viewer_id], publish)[viewer_id]


def announce(
    session: Session, recipients: Iterable[int | None], publish: NotifyPublish | None = None
) -> dict[int, int]:
    """After the commit: publish each recipient's unread count to their open tabs.
    Returns {user id: unread}. Best effort, like every event: the bell reloads from the DB."""
    send = events.publish if publish is None else publish
    counts: dict[int, int] = {}
    for user_id in dict.fromkeys(r for r in recipients if r is not None):
        counts[user_id] = unread_count(session, user_id)
        send(NotificationEvent(user_id=user_id, unread=counts[user_id]))
    return counts
