"""Settings → "Your data": download my data (an export job with live progress and a signed,
expiring link) and delete my account (password or a fresh Google sign-in, plus the username
typed out; then a job removes everything).

Every handler re-checks the session first (`checked_user_id`). Export progress reaches the
open page through the event listener (state/live.py → `deliver_account_job` here).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.state import BaseState

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.events import AccountJobEvent
from pixel_studio.models import AccountJobKind, JobStatus, User
from pixel_studio.services.accounts import account, export
from pixel_studio.services.accounts.account_job_runner import enqueue_account_job
from pixel_studio.services.errors import NotFound, ServiceError
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import (
    SIGNED_OUT_URL,
    AuthState,
    SessionLookup,
    checked_user_id,
    full_page_load,
    lookup_user_id,
    per_user,
    session_ended,
)
from pixel_studio.state.live_tabs import apply_to_user_tab, deliver_to_tabs
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)
SETTINGS_PATH = "/settings"
UNEXPECTED = "Something went wrong on our side. Please try again."


@dataclass(frozen=True)
class ExportView:
    status: str  # "" (never), a JobStatus value, or "expired"
    done: int
    total: int
    error: str
    link: str  # a signed link for this user, "" unless ready
    ready_until: str  # "2026-11-28 10:31 UTC"


@dataclass(frozen=True)
class DataView:
    export: ExportView
    has_password: bool


def read_view(user_id: int) -> DataView:
    """Blocking: the newest export as the page shows it, and whether a password is set."""
    with session_scope() as session:
        user = session.get(User, user_id)
        has_password = bool(user and user.password_hash)
        job = export.latest_export(session, user_id)
        if job is None:
            return DataView(ExportView("", 0, 0, "", "", ""), has_password)
        link, status = "", str(job.status)
        if job.status == JobStatus.succeeded:
            try:
                link = export.export_link(session, get_storage(), user_id)
            except NotFound:
                status = "expired"
        until = job.expires_at.strftime("%Y-%m-%d %H:%M UTC") if job.expires_at and link else ""
        return DataView(
            ExportView(status, job.done, job.total, job.error or "", link, until), has_password
        )


def start_export(user_id: int) -> None:
    with session_scope() as session:
        job = export.start_export(session, user_id)
        job_id = job.id
    enqueue_account_job(job_id)  # after the commit: the worker finds the row


def delete_account(user_id: int, password: str, confirm: str, token: str | None) -> None:
    with session_scope() as session:
        job = account.request_deletion(
            session,
            get_cache(),
            get_settings(),
            user_id,
            password=password,
            confirm=confirm,
            session_token=token,
        )
        job_id = job.id
    enqueue_account_job(job_id)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@per_user
class AccountDataState(rx.State):
    export_status: rx.Field[str] = rx.field("")
    export_done: rx.Field[int] = rx.field(0)
    export_total: rx.Field[int] = rx.field(0)
    export_error: rx.Field[str] = rx.field("")
    export_link: rx.Field[str] = rx.field("")
    export_until: rx.Field[str] = rx.field("")
    has_password: rx.Field[bool] = rx.field(True)
    confirm_error: rx.Field[str] = rx.field("")
    password_error: rx.Field[str] = rx.field("")
    delete_error: rx.Field[str] = rx.field("")
    deleting: rx.Field[bool] = rx.field(False)
    _user_id: int | None = None

    @rx.var
    def export_busy(self) -> bool:
        return self.export_status in (JobStatus.queued, JobStatus.running)

    @rx.var
    def export_percent(self) -> int:
        return int(100 * self.export_done / self.export_total) if self.export_total else 0

    def _belongs_to(self, user_id: int) -> bool:
        return self._user_id is not None and self._user_id == user_id

    def _show(self, view: DataView) -> None:
        e = view.export
        self.export_status, self.export_done, self.export_total = e.status, e.done, e.total
        self.export_error, self.export_link, self.export_until = e.error, e.link, e.ready_until
        self.has_password = view.has_password

    def _apply_event(self, event: AccountJobEvent) -> bool:
        """Show the export's progress; True when it just finished (the page then reloads
        the section for a signed link)."""
        self.export_status = event.status
        self.export_done, self.export_total = event.done, event.total
        if event.status == JobStatus.failed:
            self.export_error = export.FAILED
        return event.status in (JobStatus.succeeded, JobStatus.failed)

    @rx.event
    async def load(self) -> Any:
        """When the section mounts, and after an export finishes: a fresh signed link."""
        user_id = await checked_user_id(self)
        self._user_id = user_id
        if user_id is None:
            return None
        self._show(await asyncio.to_thread(read_view, user_id))
        return None

    @rx.event(background=True)
    async def start_export(self) -> Any:
        async with self:
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            if self.export_busy:
                return None
            self._user_id = user_id
            self.export_status, self.export_done, self.export_total = JobStatus.queued, 0, 0
            self.export_error, self.export_link = "", ""
        try:
            await asyncio.to_thread(start_export, user_id)
        except ServiceError as exc:
            message = exc.message
        except Exception:
            log.exception("could not start an export for user %s", user_id)
            message = UNEXPECTED
        else:
            return rx.toast.info("Preparing your data. This page shows when it is ready.")
        async with self:
            self._show(await asyncio.to_thread(read_view, user_id))
        return rx.toast.error(message)

    @rx.event(background=True)
    async def delete_account(self, form_data: dict[str, Any]) -> Any:
        async with self:
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            if self.deleting:
                return None
            self.deleting = True
            self.confirm_error = self.password_error = self.delete_error = ""
            token = (await self.get_state(AuthState))._token()
        password, confirm = _text(form_data, "password"), _text(form_data, "confirm")
        try:
            await asyncio.to_thread(delete_account, user_id, password, confirm, token)
        except ServiceError as exc:
            async with self:
                self.deleting = False
                name = f"{exc.field}_error" if exc.field in ("confirm", "password") else ""
                setattr(self, name or "delete_error", exc.message)
            return None
        except Exception:
            log.exception("could not delete the account of user %s", user_id)
            async with self:
                self.deleting, self.delete_error = False, UNEXPECTED
            return None
        async with self:
            auth = await self.get_state(AuthState)
            await auth._sign_out_tab()
        return full_page_load(SIGNED_OUT_URL)


# ---------------------------------------------------------------- live progress


async def apply_account_job(
    app: rx.App, token: str, event: AccountJobEvent, lookup: SessionLookup = lookup_user_id
) -> bool:
    """Show an export's progress in one tab; False if the tab is no longer that user's."""

    async def change(root: BaseState, auth: AuthState, path: str) -> list[Any]:
        if path.startswith(SETTINGS_PATH) and event.kind == AccountJobKind.export:
            data = await root.get_state(AccountDataState)
            if data._belongs_to(event.user_id) and data._apply_event(event):
                return [AccountDataState.load]
        return []

    return await apply_to_user_tab(app, token, event.user_id, AccountDataState, change, lookup)


async def deliver_account_job(app: rx.App, event: AccountJobEvent) -> None:
    await deliver_to_tabs(
        event.user_id,
        lambda: event,  # the event carries all the page shows: nothing to read
        lambda token, ev, lookup: apply_account_job(app, token, ev, lookup),
        f"account job {event.job_id}",
    )
