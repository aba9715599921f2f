"""The sign-up and log-in forms.

Both hash or verify a password with argon2 (~50–100 ms of CPU), so the handlers are
background events that run the service call in a worker thread and take the state lock only
to show progress and results. Success creates a one-time ticket and loads `/auth/session`,
which sets the HttpOnly cookie (a Reflex event cannot) and redirects to `next`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

import reflex as rx

from pixel_studio.api.cookies import safe_next
from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.accounts import auth
from pixel_studio.services.errors import ServiceError
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import full_page_load, session_url

log = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong on our side. Please try again."


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def sign_up(form: Mapping[str, Any], ip: str) -> str:
    """Create the account (with its bonus; limited per IP) and a sign-in ticket, one transaction."""
    settings = get_settings()
    with session_scope() as session:
        user = auth.sign_up(
            session,
            get_cache(),
            settings,
            _text(form, "username"),
            _text(form, "email"),
            _text(form, "password"),
            ip,
        )
        return auth.create_ticket(session, user.id or 0)


def log_in(form: Mapping[str, Any], ip: str) -> str:
    """Check the credentials (rate limited per IP and account) and return a sign-in ticket."""
    settings = get_settings()
    with session_scope() as session:
        user = auth.authenticate(
            session, get_cache(), settings, _text(form, "login"), _text(form, "password"), ip
        )
        return auth.create_ticket(session, user.id or 0)


def next_from_query(params: Mapping[str, str]) -> str:
    return safe_next(params.get("next"))


class FormMixin(rx.State, mixin=True):
    """What both forms share: per-field errors, a form-level message, a busy flag.

    A mixin, so each form gets its own copy of these fields (a plain parent state would be
    one shared substate holding them for both)."""

    form_error: str = ""
    password_error: str = ""
    submitting: bool = False
    next_path: str = "/home"

    def _clear_errors(self) -> None:
        for name in self._error_fields():
            setattr(self, name, "")

    def _error_fields(self) -> tuple[str, ...]:
        return ("form_error", "password_error")

    def _show(self, exc: ServiceError) -> None:
        name = f"{exc.field}_error" if exc.field else "form_error"
        setattr(self, name if name in self._error_fields() else "form_error", exc.message)

    def _prepare(self) -> None:
        self._clear_errors()
        self.submitting = False
        self.next_path = next_from_query(self.router.url.query_parameters)

    async def _sign_in_with(
        self, what: str, get_ticket: Callable[..., str], *args: Any, next_path: str
    ) -> Any:
        """Run `get_ticket` off the event loop; show its error, or load the session route.

        Called from a background `submit` after it set `submitting` (under the lock)."""
        try:
            ticket = await asyncio.to_thread(get_ticket, *args)
        except ServiceError as exc:
            async with self:
                self.submitting = False
                self._show(exc)
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("%s failed", what)
            async with self:
                self.submitting = False
                self.form_error = UNEXPECTED
            return rx.toast.error(UNEXPECTED)
        # `submitting` stays on: the page is about to be replaced.
        return full_page_load(session_url(ticket, next_path))


# rx.State is named again on purpose: without it Reflex does not turn the mixin's fields into vars.
class SignUpState(FormMixin, rx.State):
    username_error: str = ""
    email_error: str = ""

    def _error_fields(self) -> tuple[str, ...]:
        return ("form_error", "username_error", "email_error", "password_error")

    @rx.event
    def prepare(self) -> None:
        self._prepare()

    @rx.event(background=True)
    async def submit(self, form_data: dict[str, Any]) -> Any:
        async with self:
            if self.submitting:
                return None
            self._clear_errors()
            self.submitting = True
            next_path = self.next_path
            ip = self.router.session.client_ip or "unknown"
        return await self._sign_in_with("sign-up", sign_up, form_data, ip, next_path=next_path)


class LogInState(FormMixin, rx.State):
    login_error: str = ""
    expired: bool = False

    def _error_fields(self) -> tuple[str, ...]:
        return ("form_error", "login_error", "password_error")

    @rx.event
    def prepare(self) -> None:
        self._prepare()
        # /auth/session sends an unusable (used or stale) ticket back here with ?expired=1.
        self.expired = self.router.url.query_parameters.get("expired") == "1"

    @rx.event(background=True)
    async def submit(self, form_data: dict[str, Any]) -> Any:
        async with self:
            if self.submitting:
                return None
            self._clear_errors()
            self.submitting = True
            self.expired = False
            next_path = self.next_path
            ip = self.router.session.client_ip or "unknown"
        return await self._sign_in_with("log-in", log_in, form_data, ip, next_path=next_path)
