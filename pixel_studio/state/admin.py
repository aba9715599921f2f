"""`/admin`, `/admin/reports`, `/admin/audit`: thin state over services/moderation/admin.py.

Every handler re-checks the tab's session (`checked_user_id`), then calls ONE admin service
function, which checks that the user is an admin: anyone else gets NotFound, and the page
shows the not-found view (`allowed` False), exactly as for an address that does not exist.
Nothing here decides who is an admin.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.moderation import admin, reports
from pixel_studio.state.auth import checked_user_id, per_user
from pixel_studio.storage import get_storage

T = TypeVar("T")
PAGE = 30


@dataclasses.dataclass(frozen=True)
class UserItem:
    id: int
    username: str
    email: str
    credits: int
    is_admin: bool
    suspended: bool
    joined: str


@dataclasses.dataclass(frozen=True)
class ReportItem:
    id: int
    when: str
    reporter: str
    target_type: str
    target_id: int
    target_label: str
    href: str
    reason: str


@dataclasses.dataclass(frozen=True)
class AuditItem:
    id: int
    when: str
    actor: str
    action: str
    target: str
    reason: str
    details: str


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _href(kind: str, item_id: int, label: str) -> str:
    if kind == "image":
        return f"/image/{item_id}"
    if kind == "user" and label.startswith("@"):
        return f"/u/{label[1:]}"
    return ""


def _run(call: Callable[[Any], T]) -> T:
    """Blocking: one service call in its own session (the service commits)."""
    with session_scope() as session:
        return call(session)


def users_page(actor: int, query: str, before: int | None) -> tuple[list[UserItem], int | None]:
    page = _run(lambda s: admin.search_users(s, actor, query, before=before, limit=PAGE))
    items = [
        UserItem(
            u.id,
            u.username,
            u.email,
            u.credits,
            u.is_admin,
            u.suspended,
            f"{u.created_at:%Y-%m-%d}",
        )
        for u in page.items
    ]
    return items, page.next_before


def reports_page(
    actor: int, status: str, before: int | None
) -> tuple[list[ReportItem], int | None]:
    page = _run(lambda s: reports.list_reports(s, actor, status=status, before=before, limit=PAGE))
    items = [
        ReportItem(
            r.id,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            r.reporter,
            r.target_type,
            r.target_id,
            r.target_label,
            _href(r.target_type, r.target_id, r.target_label),
            r.reason,
        )
        for r in page.items
    ]
    return items, page.next_before


def audit_page(actor: int, before: int | None) -> tuple[list[AuditItem], int | None]:
    page = _run(lambda s: admin.audit_log(s, actor, before=before, limit=PAGE))
    items = [
        AuditItem(
            e.id,
            f"{e.created_at:%Y-%m-%d %H:%M:%S}",
            e.actor,
            e.action,
            f"{e.target_type} {e.target_id}",
            e.reason,
            ", ".join(f"{k}={v}" for k, v in sorted(e.details.items())),
        )
        for e in page.items
    ]
    return items, page.next_before


@per_user
class AdminState(rx.State):
    allowed: rx.Field[bool] = rx.field(False)
    loaded: rx.Field[bool] = rx.field(False)
    message: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    query: rx.Field[str] = rx.field("")
    users: rx.Field[list[UserItem]] = rx.field(default_factory=list)
    users_more: rx.Field[bool] = rx.field(False)
    report_status: rx.Field[str] = rx.field("open")
    reports: rx.Field[list[ReportItem]] = rx.field(default_factory=list)
    reports_more: rx.Field[bool] = rx.field(False)
    entries: rx.Field[list[AuditItem]] = rx.field(default_factory=list)
    audit_more: rx.Field[bool] = rx.field(False)
    _users_before: int | None = None
    _reports_before: int | None = None
    _audit_before: int | None = None

    async def _call(self, work: Callable[[int], T]) -> T | None:
        """`work(actor)` in a thread for a live session; None (and the not-found view) when
        the service says NotAdmin (everyone who is not an admin); any other refusal,
        a missing item's NotFound included, propagates to `_act` as a message."""
        actor = await checked_user_id(self)
        try:
            if actor is None:
                raise admin.NotAdmin(admin.NOT_FOUND)
            result = await asyncio.to_thread(work, actor)
        except admin.NotAdmin:
            self._deny()
            return None
        self.allowed, self.loaded = True, True
        return result

    def _deny(self) -> None:
        self.allowed, self.loaded = False, True
        self.users, self.reports, self.entries = [], [], []

    async def _act(self, work: Callable[[int], Any], done: str) -> bool:
        """An admin action: a clear message either way, the refusal never a crash."""
        self.message, self.error = "", ""
        try:
            if await self._call(work) is None and not self.allowed:
                return False
        except ServiceError as exc:  # raised after the admin check passed: still an admin
            self.allowed, self.loaded, self.error = True, True, exc.message
            return False
        self.message = done
        return True

    # --- users -----------------------------------------------------------------------------

    async def _users(self, more: bool) -> None:
        before = self._users_before if more else None
        query = self.query
        got = await self._call(lambda a: users_page(a, query, before))
        if got is None:
            return
        items, self._users_before = got
        self.users = [*self.users, *items] if more else items
        self.users_more = self._users_before is not None

    @rx.event
    async def load_users(self) -> None:
        self.query = str(self.router.url.query_parameters.get("q") or "")[:100]
        self.message, self.error = "", ""
        await self._users(False)

    @rx.event
    async def search(self, form: dict[str, Any]) -> None:
        self.query = str(form.get("q") or "")[:100]
        await self._users(False)

    @rx.event
    async def more_users(self) -> None:
        await self._users(True)

    @rx.event
    async def change_credits(self, form: dict[str, Any]) -> None:
        user_id, amount = _int(form.get("user_id")), _int(form.get("amount"))
        if user_id is None or amount is None:
            self.error = "Enter a whole number of credits (negative to remove)."
            return
        reason = str(form.get("reason") or "")
        done = f"Credits changed by {amount:+d}."
        if await self._act(
            lambda a: _run(lambda s: admin.change_credits(s, a, user_id, amount, reason)), done
        ):
            await self._users(False)

    @rx.event
    async def set_suspended(self, form: dict[str, Any]) -> None:
        user_id = _int(form.get("user_id"))
        suspend = str(form.get("action") or "") == "suspend"
        if user_id is None:
            return
        reason = str(form.get("reason") or "")
        cache = get_cache()
        done = "Account suspended." if suspend else "Account restored."
        if await self._act(
            lambda a: _run(lambda s: admin.set_suspended(s, cache, a, user_id, suspend, reason)),
            done,
        ):
            await self._users(False)

    # --- reports and content ---------------------------------------------------------------

    async def _reports(self, more: bool) -> None:
        before = self._reports_before if more else None
        status = self.report_status
        got = await self._call(lambda a: reports_page(a, status, before))
        if got is None:
            return
        items, self._reports_before = got
        self.reports = [*self.reports, *items] if more else items
        self.reports_more = self._reports_before is not None

    @rx.event
    async def load_reports(self) -> None:
        status = str(self.router.url.query_parameters.get("status") or "open")
        self.report_status = status if status in ("open", "resolved", "dismissed") else "open"
        self.message, self.error = "", ""
        await self._reports(False)

    @rx.event
    async def more_reports(self) -> None:
        await self._reports(True)

    @rx.event
    async def decide_report(self, form: dict[str, Any]) -> None:
        report_id = _int(form.get("report_id"))
        if report_id is None:
            return
        reason, resolve = str(form.get("reason") or ""), form.get("decision") == "resolve"
        storage, cache = get_storage(), get_cache()

        def work(a: int) -> None:
            if resolve:
                _run(lambda s: reports.resolve_report(s, storage, cache, a, report_id, reason))
            else:
                _run(lambda s: reports.dismiss_report(s, a, report_id, reason))

        done = "Removed, and the report closed." if resolve else "Report dismissed."
        if await self._act(work, done):
            await self._reports(False)

    @rx.event
    async def remove_content(self, form: dict[str, Any]) -> None:
        item_id = _int(form.get("item_id"))
        kind, reason = str(form.get("kind") or "image"), str(form.get("reason") or "")
        if item_id is None:
            self.error = "Enter the number of the image or comment."
            return
        storage, cache = get_storage(), get_cache()

        def work(a: int) -> None:
            if kind == "comment":
                _run(lambda s: admin.remove_comment(s, cache, a, item_id, reason))
            else:
                _run(lambda s: admin.remove_image(s, storage, cache, a, item_id, reason))

        await self._act(work, f"The {'comment' if kind == 'comment' else 'image'} was removed.")

    # --- audit -----------------------------------------------------------------------------

    async def _audit(self, more: bool) -> None:
        before = self._audit_before if more else None
        got = await self._call(lambda a: audit_page(a, before))
        if got is None:
            return
        items, self._audit_before = got
        self.entries = [*self.entries, *items] if more else items
        self.audit_more = self._audit_before is not None

    @rx.event
    async def load_audit(self) -> None:
        await self._audit(False)

    @rx.event
    async def more_audit(self) -> None:
        await self._audit(True)
