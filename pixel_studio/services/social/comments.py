"""Comments: threaded comments and replies on an image, comment likes, deletion, the tree.

Counts stay exact without read-modify-write (social_sql.py): `image.comment_count` is the
number of comments not deleted, moved by one conditional UPDATE in the transaction that adds
or deletes a comment; `comment.like_count` the same way for comment likes.

Deleting keeps the thread readable: a comment with replies stays in place as "deleted" (body
blanked, author hidden); one without replies is removed, and so is any deleted ancestor left
with no replies. Replying and deleting lock the parent row (PostgreSQL; SQLite writers are
serial anyway), so a reply never lands under a comment that is being removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from sqlalchemy import and_, delete, exists, false, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import Comment, CommentLike, Image, User
from pixel_studio.services import blocked_terms as moderation
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.errors import InvalidInput, NotAllowed, NotFound
from pixel_studio.services.social import notifications
from pixel_studio.services.social.notifications import Kind, NotifyPublish
from pixel_studio.services.social_sql import bump_counter, insert_ignore, visible_image
from pixel_studio.services.users import parse
from pixel_studio.services.visibility import is_visible
from pixel_studio.settings import get_settings

MAX_BODY = 2000
MAX_LISTED = 500  # comments one tree holds at most; the oldest are kept, `truncated` says so


def _body(value: str) -> str:
    value = value.strip()
    if "\x00" in value:
        raise ValueError("The comment contains a character that is not allowed.")
    if not value:
        raise ValueError("Write something first.")
    if len(value) > MAX_BODY:
        raise ValueError(f"A comment is {MAX_BODY} characters at most.")
    return value


class CommentInput(BaseModel):
    body: Annotated[str, AfterValidator(_body)]


@dataclass(frozen=True)
class CommentView:
    """One comment as a page shows it. A deleted one has no body and no author."""

    id: int
    image_id: int
    parent_id: int | None
    user_id: int | None
    username: str | None
    avatar_key: str | None
    body: str
    deleted: bool
    like_count: int
    liked: bool  # by the viewer
    created_at: datetime
    depth: int = 0  # 0 for a top-level comment
    children: list[CommentView] = field(default_factory=list)


@dataclass(frozen=True)
class CommentTree:
    roots: list[CommentView]  # top-level comments, oldest first, replies nested
    flat: list[CommentView]  # the same in reading order (depth-first), for a flat UI loop
    comment_count: int  # the image's count of comments not deleted
    truncated: bool  # more comments exist than MAX_LISTED


@dataclass(frozen=True)
class CommentLikeState:
    comment_id: int
    liked: bool
    like_count: int
    changed: bool


def add_comment(
    session: Session,
    cache: Cache,
    viewer_id: int,
    image_id: int,
    body: str,
    *,
    parent_id: int | None = None,
    publish: NotifyPublish | None = None,
) -> CommentView:
    """Comment on an image the viewer may see, or reply to a comment on it (any depth).
    Commits. InvalidInput(field="body") for a bad body; NotFound for an invisible image or a
    parent that is missing, deleted or on another image."""
    rate_limits.hit_write(cache, viewer_id)  # the write tier, per user, before any work
    text = parse(CommentInput, {"body": body}).body
    if moderation.contains_blocked(text, get_settings().blocked_terms):  # before anything is stored
        raise InvalidInput(moderation.COMMENT_BLOCKED, field="body")
    image = visible_image(session, viewer_id, image_id)
    parent: Comment | None = None
    if parent_id is not None:
        # FOR SHARE: a concurrent delete of the parent waits for this reply, then keeps it.
        parent = session.exec(
            select(Comment)
            .where(col(Comment.id) == parent_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if parent is None or parent.image_id != image_id or parent.deleted:
            session.rollback()
            raise NotFound("That comment does not exist.", field="parent_id")
    comment = Comment(
        user_id=viewer_id, image_id=image_id, parent_id=parent_id, body=text, created_at=utcnow()
    )
    try:
        session.add(comment)
        session.flush()
        session.execute(bump_counter(Image, "comment_count", image_id, 1))
        recipients = [
            notifications.notify(
                session,
                recipient_id=parent.user_id,
                actor_id=viewer_id,
                kind=Kind.reply,
                image=image,
                comment_id=comment.id,
            )
            if parent is not None
            else None
        ]
        if parent is None or parent.user_id != image.user_id:
            recipients.append(
                notifications.notify(
                    session,
                    recipient_id=image.user_id,
                    actor_id=viewer_id,
                    kind=Kind.comment,
                    image=image,
                    comment_id=comment.id,
                )
            )
        session.commit()
    except IntegrityError:  # the image or the parent was deleted meanwhile
        session.rollback()
        raise NotFound("That image or comment no longer exists.") from None
    _bump(cache, image)
    notifications.announce(session, recipients, publish)
    return _view(comment, session.get(User, viewer_id), liked=False, depth=_depth(session, parent))


def delete_comment(session: Session, cache: Cache, viewer_id: int, comment_id: int) -> None:
    """Delete the viewer's own comment. Commits. NotFound if the viewer cannot see it,
    NotAllowed if it is someone else's. Repeating it is harmless."""
    rate_limits.hit_write(cache, viewer_id)  # the write tier, per user, before any work
    comment = _visible_comment(session, viewer_id, comment_id, allow_deleted=True)
    if comment.user_id != viewer_id:
        raise NotAllowed("You can only delete your own comments.")
    _delete(session, cache, comment)


def remove_comment(session: Session, cache: Cache, comment_id: int) -> Comment:
    """The moderation path (services/moderation/admin.py, which checked the admin): any comment, by
    the same rule as its author's delete ("deleted" placeholder while it has replies). Commits,
    with whatever the caller added to the session (its audit row). NotFound if it is missing
    or already deleted."""
    comment = session.get(Comment, comment_id, populate_existing=True)
    if comment is None or comment.deleted:
        raise NotFound("That comment does not exist.")
    _delete(session, cache, comment)
    return comment


def _delete(session: Session, cache: Cache, comment: Comment) -> None:
    comment_id, image_id = comment.id, comment.image_id
    try:
        # The conditional UPDATE locks the row and decides who counts the deletion: once.
        marked = session.execute(
            update(Comment)
            .where(col(Comment.id) == comment_id, col(Comment.deleted).is_(False))
            .values(deleted=True, body="")
        )
        _prune(session, comment_id)
        # The image row last: every writer takes comment rows before the image row, so
        # concurrent deletes in one thread never wait on each other in a cycle.
        if marked.rowcount == 1:  # type: ignore[attr-defined]
            session.execute(bump_counter(Image, "comment_count", image_id, -1))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    image = session.get(Image, image_id, populate_existing=True)
    if image is not None:
        _bump(cache, image)


def _prune(session: Session, comment_id: int | None) -> None:
    """Remove this deleted comment if it has no replies, then each deleted ancestor left
    without replies. Each parent is locked before its replies are counted."""
    while comment_id is not None:
        row = session.exec(
            select(Comment.parent_id, Comment.deleted)
            .where(col(Comment.id) == comment_id)
            .with_for_update()
        ).one_or_none()
        if row is None:
            return
        parent_id, deleted = row
        has_replies = session.exec(
            select(exists().where(col(Comment.parent_id) == comment_id))
        ).one()
        if not deleted or has_replies:
            return
        session.execute(delete(Comment).where(col(Comment.id) == comment_id))
        comment_id = parent_id


def like_comment(
    session: Session, cache: Cache, viewer_id: int, comment_id: int
) -> CommentLikeState:
    """Like a comment the viewer may see (idempotent). Commits."""
    return _set_like(session, cache, viewer_id, comment_id, True)


def unlike_comment(
    session: Session, cache: Cache, viewer_id: int, comment_id: int
) -> CommentLikeState:
    """Take back a comment like (idempotent). Commits."""
    return _set_like(session, cache, viewer_id, comment_id, False)


def _set_like(
    session: Session, cache: Cache, viewer_id: int, comment_id: int, liked: bool
) -> CommentLikeState:
    rate_limits.hit_write(cache, viewer_id)  # the write tier, per user, before any work
    comment = _visible_comment(session, viewer_id, comment_id, allow_deleted=not liked)
    try:
        if liked:
            row = {"user_id": viewer_id, "comment_id": comment_id, "created_at": utcnow()}
            changed = insert_ignore(session, CommentLike, row)
        else:
            result = session.execute(
                delete(CommentLike).where(
                    col(CommentLike.user_id) == viewer_id,
                    col(CommentLike.comment_id) == comment_id,
                )
            )
            changed = result.rowcount == 1  # type: ignore[attr-defined]
        if changed:
            delta = 1 if liked else -1
            count = session.execute(bump_counter(Comment, "like_count", comment_id, delta)).scalar()
        else:
            count = session.exec(
                select(Comment.like_count).where(col(Comment.id) == comment_id)
            ).one_or_none()
        session.commit()
    except IntegrityError:
        session.rollback()
        raise NotFound("That comment does not exist.") from None
    if count is None:  # removed while we looked
        raise NotFound("That comment does not exist.")
    if changed:
        cached.bump(cache, cached.image_scope(comment.image_id))
    return CommentLikeState(comment_id, liked, int(count), changed)


def list_comments(
    session: Session, viewer_id: int | None, image_id: int, *, limit: int = MAX_LISTED
) -> CommentTree:
    """The image's comments as a tree, oldest first at every level, with the viewer's likes.
    One query; the tree is built here. NotFound if the viewer cannot see the image."""
    image = visible_image(session, viewer_id, image_id)
    limit = max(1, min(limit, MAX_LISTED))
    # The viewer's own like of each comment, in the same query (no row for an anonymous one).
    mine = col(CommentLike.user_id) == viewer_id if viewer_id is not None else false()
    stmt = (
        select(Comment, User, CommentLike.user_id)
        .outerjoin(User, col(User.id) == col(Comment.user_id))
        .outerjoin(CommentLike, and_(col(CommentLike.comment_id) == col(Comment.id), mine))
        .where(col(Comment.image_id) == image_id)
        .order_by(col(Comment.created_at), col(Comment.id))
        .limit(limit + 1)
        .execution_options(populate_existing=True)
    )
    rows = list(session.exec(stmt))
    truncated = len(rows) > limit
    replies: dict[int | None, list[tuple[Comment, User | None, bool]]] = {}
    for row_comment, row_author, row_like in rows[:limit]:
        entry = (row_comment, row_author, row_like is not None)
        replies.setdefault(row_comment.parent_id, []).append(entry)
    # Walk from the top-level comments, depth first, without recursion (threads may be deep).
    # Parents come before their replies in time order, so the cap only drops the newest; a
    # reply whose parent fell outside it is never reached.
    roots: list[CommentView] = []
    flat: list[CommentView] = []
    stack: list[tuple[Comment, User | None, bool, int, list[CommentView]]] = [
        (c, u, lk, 0, roots) for c, u, lk in reversed(replies.get(None, []))
    ]
    while stack:
        comment, author, like, depth, siblings = stack.pop()
        view = _view(comment, author, liked=like, depth=depth)
        siblings.append(view)
        flat.append(view)
        for c, u, lk in reversed(replies.get(comment.id, [])):
            stack.append((c, u, lk, depth + 1, view.children))
    return CommentTree(
        roots=roots, flat=flat, comment_count=image.comment_count, truncated=truncated
    )


def _depth(session: Session, parent: Comment | None) -> int:
    """How deep a reply to `parent` sits: one more than its number of ancestors."""
    depth = 0
    while parent is not None:
        depth += 1
        parent = session.get(Comment, parent.parent_id) if parent.parent_id is not None else None
    return depth


def _visible_comment(
    session: Session, viewer_id: int, comment_id: int, *, allow_deleted: bool
) -> Comment:
    row = session.exec(
        select(Comment, Image)
        .join(Image, col(Image.id) == col(Comment.image_id))
        .where(col(Comment.id) == comment_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None or not is_visible(viewer_id, row[1]) or (row[0].deleted and not allow_deleted):
        raise NotFound("That comment does not exist.")
    return row[0]


def _view(comment: Comment, user: User | None, *, liked: bool, depth: int) -> CommentView:
    # A suspended author's comment reads like a deleted one while the suspension lasts: the
    # thread keeps its shape, the text and the name are not shown (restore brings them back).
    hidden = comment.deleted or (user is not None and user.suspended_at is not None)
    return CommentView(
        id=comment.id or 0,
        image_id=comment.image_id,
        parent_id=comment.parent_id,
        user_id=None if hidden else comment.user_id,
        username=None if hidden or user is None else user.username,
        avatar_key=None if hidden or user is None else user.avatar_key,
        body="" if hidden else comment.body,
        deleted=hidden,
        like_count=comment.like_count,
        liked=liked,
        created_at=comment.created_at,
        depth=depth,
    )


def _bump(cache: Cache, image: Image) -> None:
    scopes = [cached.image_scope(image.id or 0)]
    if not image.private:
        scopes.append(cached.PUBLIC_IMAGES)  # cards in public grids show the comment count
    else:  # only its owner sees it: on their own cached lists (their liked images)
        scopes.append(cached.user_scope(image.user_id))
    cached.bump(cache, *scopes)
