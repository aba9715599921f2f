"""Notifications: the bell in the nav (unread count, live) and `/notifications`.

The bell loads with every page (pixel_studio.py adds `BellState.load` after the user is
loaded) and registers the tab in the same registry as the jobs panel, so the listener
(state/live.py) can apply each `NotificationEvent` to every open tab of that user.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import reflex as rx

from pixel_studio.db import session_scope
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.social import notifications as notifications_service
from pixel_studio.services.social.notifications import Kind, NotificationItem
from pixel_studio.services.social_sql import Cursor
from pixel_studio.state.auth import (
    AuthState,
    checked_user_id,
    per_user,
    register_tab,
    session_ended,
)
from pixel_studio.state.paging import append_new
from pixel_studio.state.sets import when
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

PAGE_SIZE = 30

WHAT = {
    Kind.like: "liked your image",
    Kind.comment: "commented on your image",
    Kind.reply: "replied to your comment",
    Kind.follow: "started following you",
}


@dataclasses.dataclass(frozen=True)
class NotificationRow:
    id: int
    actor: str  # "Someone" when the account is gone
    actor_avatar: str
    actor_href: str
    what: str
    href: str  # the image (at the comment), or the actor's profile for a follow
    when: str
    created_iso: str
    read: bool


def row_of(item: NotificationItem) -> NotificationRow:
    storage = get_storage()
    created = item.created_at if item.created_at.tzinfo else item.created_at.replace(tzinfo=UTC)
    actor_href = f"/u/{item.actor_username}" if item.actor_username else ""
    what = WHAT.get(item.kind, "did something")  # type: ignore[call-overload]  # a Kind value
    if item.comment_deleted:
        what += " (since deleted)"
    href = actor_href
    if item.image_id is not None:
        href = f"/image/{item.image_id}"
        if item.comment_id is not None and not item.comment_deleted:
            href += f"#comment-{item.comment_id}"
    return NotificationRow(
        id=item.id,
        actor=item.actor_username or "Someone",
        actor_avatar=storage.public_url(item.actor_avatar_key) if item.actor_avatar_key else "",
        actor_href=actor_href,
        what=what,
        href=href,
        when=when(created),
        created_iso=created.isoformat(timespec="seconds"),
        read=item.read,
    )


def read_unread(user_id: int) -> int:
    with session_scope() as session:
        return notifications_service.unread_count(session, user_id)


def read_page(
    user_id: int, before: Cursor | None
) -> tuple[list[NotificationRow], int, Cursor | None]:
    with session_scope() as session:
        page = notifications_service.list_notifications(
            session, user_id, before=before, limit=PAGE_SIZE
        )
        return [row_of(i) for i in page.items], page.unread, page.next_before


def mark_one(user_id: int, notification_id: int) -> int:
    with session_scope() as session:
        return notifications_service.mark_read(session, user_id, notification_id)


def mark_all(user_id: int) -> int:
    with session_scope() as session:
        return notifications_service.mark_all_read(session, user_id)


def badge_of(unread: int) -> str:
    return "99+" if unread > 99 else str(unread)


def label_of(unread: int) -> str:
    return f"Notifications, {unread} unread" if unread else "Notifications"


@per_user
class BellState(rx.State):
    """The nav's bell: the signed-in user's unread count, kept live by state/live.py."""

    unread: rx.Field[int] = rx.field(0)
    _user_id: int | None = None

    @rx.var
    def badge(self) -> str:
        return badge_of(self.unread)

    @rx.var
    def label(self) -> str:
        return label_of(self.unread)

    def _belongs_to(self, user_id: int) -> bool:
        return self._user_id is not None and self._user_id == user_id

    @rx.event
    async def load(self) -> None:
        """on_load of every page, after the user: read the count, register the tab."""
        user_id = (await self.get_state(AuthState))._user_id
        self._user_id = user_id
        if user_id is None:
            self.unread = 0
            return
        try:
            self.unread = await asyncio.to_thread(read_unread, user_id)
            await register_tab(self, user_id)
        except Exception:  # the bell must never break a page load
            log.exception("bell: could not load for user %s", user_id)


@per_user
class NotificationsState(rx.State):
    """`/notifications`: newest first, keyset-paged; open one, mark one or all read."""

    rows: rx.Field[list[NotificationRow]] = rx.field(default_factory=list)
    unread: rx.Field[int] = rx.field(0)
    has_more: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    _before: Cursor | None = None
    _user_id: int | None = None

    async def _set_bell(self, unread: int) -> None:
        self.unread = unread
        (await self.get_state(BellState)).unread = unread

    @rx.event
    async def load(self) -> None:
        """on_load (after `AuthState.require_user`), and on a live event: the first page."""
        self.loading = False
        self._user_id = await checked_user_id(self)
        if self._user_id is None:
            self.rows, self.has_more, self._before = [], False, None
            return
        rows, unread, before = await asyncio.to_thread(read_page, self._user_id, None)
        self.rows, self._before, self.has_more = rows, before, before is not None
        await self._set_bell(unread)
        self.loaded = True

    @rx.event
    async def load_more(self) -> AsyncIterator[Any]:
        if self._before is None or self.loading:
            return
        user_id = await checked_user_id(self)
        if user_id is None:
            yield session_ended(str(self.router.url.path or ""))
            return
        self.loading = True
        yield
        try:
            rows, unread, before = await asyncio.to_thread(read_page, user_id, self._before)
        finally:
            self.loading = False
        self.rows = append_new(self.rows, rows, lambda r: r.id)
        self._before, self.has_more = before, before is not None
        await self._set_bell(unread)

    @rx.event
    def load_more_if_visible(self, visible: bool) -> Any:
        if visible and self.has_more and not self.loading:
            return NotificationsState.load_more
        return None

    @rx.event
    async def mark_read(self, notification_id: int) -> Any:
        return await self._mark(notification_id)

    async def _mark(self, notification_id: int) -> Any:
        user_id = await checked_user_id(self)
        if user_id is None:
            return session_ended(str(self.router.url.path or ""))
        try:
            unread = await asyncio.to_thread(mark_one, user_id, notification_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        self.rows = [
            dataclasses.replace(r, read=True) if r.id == notification_id else r for r in self.rows
        ]
        await self._set_bell(unread)
        return None

    @rx.event
    async def open_item(self, notification_id: int, href: str) -> Any:
        """Follow a notification's link, marking it read on the way."""
        error = await self._mark(notification_id)
        if error is not None:
            return error
        return rx.redirect(href) if href else None

    @rx.event
    async def mark_all_read(self) -> Any:
        user_id = await checked_user_id(self)
        if user_id is None:
            return session_ended(str(self.router.url.path or ""))
        unread = await asyncio.to_thread(mark_all, user_id)
        self.rows = [dataclasses.replace(r, read=True) for r in self.rows]
        await self._set_bell(unread)
        return rx.toast.success("All caught up.")
