"""The image page's comment thread: read the tree, comment, reply at any depth, like a
comment, delete one's own.

The service builds the tree in one query and hands it over in reading order (`flat`); each
row here carries its visual depth, capped at MAX_VISUAL_DEPTH so a long thread stays
readable on a phone (deeper replies line up at the cap and say whom they answer). After each
change the thread is read again: counts and placeholders are the database's, never guessed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import InvalidInput, ServiceError
from pixel_studio.services.social import comments as comments_service
from pixel_studio.state.auth import AuthState, checked_user_id, login_url, per_user, session_ended
from pixel_studio.state.route_params import id_from_path
from pixel_studio.state.sets import when
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

MAX_VISUAL_DEPTH = 4  # indentation steps; deeper replies stay at this one
INDENT_PX = 20


@dataclasses.dataclass(frozen=True)
class CommentRow:
    id: int
    username: str  # "" for a deleted comment
    avatar: str
    body: str
    deleted: bool
    like_count: int
    liked: bool  # by the viewer
    mine: bool  # the viewer wrote it: may delete it
    when: str
    created_iso: str
    indent: str  # CSS margin, from the capped depth
    replying_to: str  # the parent's author, shown only past the depth cap ("" otherwise)
    profile_href: str


@dataclasses.dataclass(frozen=True)
class Thread:
    rows: list[CommentRow]
    count: int
    truncated: bool


def rows_of(tree: comments_service.CommentTree, viewer_id: int | None) -> list[CommentRow]:
    storage = get_storage()
    authors = {c.id: c.username or "" for c in tree.flat}
    rows = []
    for c in tree.flat:
        created = c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=UTC)
        deep = c.depth > MAX_VISUAL_DEPTH and c.parent_id is not None
        rows.append(
            CommentRow(
                id=c.id,
                username=c.username or "",
                avatar=storage.public_url(c.avatar_key) if c.avatar_key else "",
                body=c.body,
                deleted=c.deleted,
                like_count=c.like_count,
                liked=c.liked,
                mine=viewer_id is not None and c.user_id == viewer_id,
                when=when(created),
                created_iso=created.isoformat(timespec="seconds"),
                indent=f"{min(c.depth, MAX_VISUAL_DEPTH) * INDENT_PX}px",
                replying_to=(authors.get(c.parent_id or 0) or "deleted") if deep else "",
                profile_href=f"/u/{c.username}" if c.username else "",
            )
        )
    return rows


def read_thread(viewer_id: int | None, image_id: int) -> Thread:
    with session_scope() as session:
        tree = comments_service.list_comments(session, viewer_id, image_id)
        return Thread(rows_of(tree, viewer_id), tree.comment_count, tree.truncated)


def post(user_id: int, image_id: int, body: str, parent_id: int | None) -> Thread:
    """Add the comment or reply, then the thread as it is now."""
    with session_scope() as session:
        comments_service.add_comment(
            session, get_cache(), user_id, image_id, body, parent_id=parent_id
        )
    return read_thread(user_id, image_id)


def remove(user_id: int, image_id: int, comment_id: int) -> Thread:
    with session_scope() as session:
        comments_service.delete_comment(session, get_cache(), user_id, comment_id)
    return read_thread(user_id, image_id)


def set_comment_like(user_id: int, comment_id: int, liked: bool) -> int:
    with session_scope() as session:
        change = comments_service.like_comment if liked else comments_service.unlike_comment
        return change(session, get_cache(), user_id, comment_id).like_count


@per_user
class CommentsState(rx.State):
    image_id: rx.Field[int] = rx.field(0)
    rows: rx.Field[list[CommentRow]] = rx.field(default_factory=list)
    count: rx.Field[int] = rx.field(0)
    truncated: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    body: rx.Field[str] = rx.field("")
    body_error: rx.Field[str] = rx.field("")
    reply_to: rx.Field[int] = rx.field(0)  # the comment whose reply form is open
    reply_body: rx.Field[str] = rx.field("")
    reply_error: rx.Field[str] = rx.field("")
    posting: rx.Field[bool] = rx.field(False)

    def _show(self, thread: Thread | None) -> None:
        self.rows = thread.rows if thread else []
        self.count = thread.count if thread else 0
        self.truncated = thread.truncated if thread else False
        self.loaded = True

    async def _viewer_hint(self) -> int | None:
        # Reading only: the id loaded with the page decides which likes are "mine".
        return (await self.get_state(AuthState))._user_id

    @rx.event
    async def load(self) -> None:
        """After ImagePageState.load found the image: its thread."""
        self.loaded = False
        self.body = self.body_error = self.reply_body = self.reply_error = ""
        self.reply_to = 0
        image_id = id_from_path(str(self.router.url.path or ""))
        self.image_id = image_id or 0
        await self._refresh()

    @rx.event
    async def refresh(self) -> None:
        """The thread again (also when a notification arrives for this tab: state/live.py)."""
        await self._refresh()

    async def _refresh(self) -> None:
        if not self.image_id:
            self._show(None)
            return
        try:
            thread = await asyncio.to_thread(read_thread, await self._viewer_hint(), self.image_id)
        except ServiceError:
            thread = None
        self._show(thread)

    @rx.event
    def set_body(self, value: str) -> None:
        self.body, self.body_error = value, ""

    @rx.event
    def set_reply_body(self, value: str) -> None:
        self.reply_body, self.reply_error = value, ""

    @rx.event
    async def start_reply(self, comment_id: int) -> Any:
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            return self._to_login("Log in to reply.")
        self.reply_to, self.reply_body, self.reply_error = comment_id, "", ""
        return rx.set_focus(f"reply-{comment_id}")

    @rx.event
    def cancel_reply(self) -> None:
        self.reply_to, self.reply_body, self.reply_error = 0, "", ""

    def _to_login(self, message: str) -> list[Any]:
        path = str(self.router.url.path or "")
        return [rx.toast.info(message), rx.redirect(login_url(path))]

    async def _post(self, body: str, parent_id: int | None) -> AsyncIterator[Any]:
        """Shared by the comment form and the reply form; errors go to the form's field."""
        field = "reply_error" if parent_id else "body_error"
        if self.posting or not self.image_id:
            return
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        self.posting = True
        yield
        try:
            thread = await asyncio.to_thread(post, user_id, self.image_id, body, parent_id)
        except InvalidInput as exc:
            setattr(self, field, exc.message)
            return
        except ServiceError as exc:  # the image or the parent comment is gone
            setattr(self, field, exc.message)
            yield CommentsState.refresh
            return
        except Exception:
            log.exception("could not post a comment on image %s", self.image_id)
            setattr(self, field, "The comment could not be posted. Please try again.")
            return
        finally:
            self.posting = False
        self._show(thread)
        if parent_id:
            self.reply_to, self.reply_body = 0, ""
        else:
            self.body = ""
        yield rx.toast.success("Reply posted." if parent_id else "Comment posted.")

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            yield self._to_login("Log in to comment.")
            return
        async for out in self._post(str(form.get("body", self.body)), None):
            yield out

    @rx.event
    async def submit_reply(self, form: dict[str, Any]) -> AsyncIterator[Any]:
        if not self.reply_to:
            return
        async for out in self._post(str(form.get("reply_body", self.reply_body)), self.reply_to):
            yield out

    @rx.event
    async def toggle_like(self, comment_id: int) -> AsyncIterator[Any]:
        """Optimistic, like the image's like button."""
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            yield self._to_login("Log in to like comments.")
            return
        index = next((i for i, r in enumerate(self.rows) if r.id == comment_id), None)
        if index is None or self.rows[index].deleted:
            return
        was = self.rows[index]
        want = not was.liked
        self._replace(was, liked=want, like_count=max(0, was.like_count + (1 if want else -1)))
        yield
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        try:
            count = await asyncio.to_thread(set_comment_like, user_id, comment_id, want)
        except ServiceError as exc:
            self._replace(was)
            yield [rx.toast.error(exc.message), CommentsState.refresh]
            return
        except Exception:
            log.exception("could not change the like of comment %s", comment_id)
            self._replace(was)
            yield rx.toast.error("That did not work. Please try again.")
            return
        self._replace(was, liked=want, like_count=count)

    def _replace(self, row: CommentRow, **changes: Any) -> None:
        self.rows = [
            dataclasses.replace(row, **changes) if r.id == row.id else r for r in self.rows
        ]

    @rx.event
    async def delete(self, comment_id: int) -> Any:
        user_id = await checked_user_id(self)
        if user_id is None:
            return session_ended(str(self.router.url.path or ""))
        try:
            thread = await asyncio.to_thread(remove, user_id, self.image_id, comment_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("could not delete comment %s", comment_id)
            return rx.toast.error("The comment could not be deleted. Please try again.")
        self._show(thread)
        if self.reply_to == comment_id:
            self.reply_to = 0
        return rx.toast.success("Comment deleted.")
