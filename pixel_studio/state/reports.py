"""The "Report" dialogs (image page, comments, profiles): thin state over
services/moderation/reports.py.

One handler: re-check the session, one service call, a toast that says what happened
("already reported" for a second report of the same item by the same person).
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.moderation import reports
from pixel_studio.state.auth import checked_user_id, login_url


def file_report(reporter_id: int, target_type: str, target_id: str, reason: str) -> bool:
    with session_scope() as session:
        return reports.report(session, get_cache(), reporter_id, target_type, target_id, reason)


class ReportState(rx.State):
    error: rx.Field[str] = rx.field("")

    @rx.event
    async def submit(self, form: dict[str, Any]) -> Any:
        self.error = ""
        reporter = await checked_user_id(self)
        if reporter is None:
            path = str(self.router.url.path or "/explore")
            return [rx.toast.info("Log in to report."), rx.redirect(login_url(path))]
        kind = str(form.get("target_type") or "")[:16]
        target = str(form.get("target_id") or "")[:64]
        reason = str(form.get("reason") or "")
        try:
            written = await asyncio.to_thread(file_report, reporter, kind, target, reason)
        except ServiceError as exc:
            self.error = exc.message
            return rx.toast.error(exc.message)
        return rx.toast.success(reports.REPORTED if written else reports.ALREADY_REPORTED)
