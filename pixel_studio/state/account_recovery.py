"""The pages a mailed link opens, and the forgot-password form.

`/verify?token=…` spends a verification link; `/forgot-password` asks for a reset link;
`/reset-password?token=…` sets a new password. None needs a signed-in tab: the link is the
proof. The token from the address bar stays in backend-only state (`_token`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.accounts import email_verification, password_reset
from pixel_studio.services.errors import ServiceError
from pixel_studio.settings import get_settings

log = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong on our side. Please try again."


def verify_link(token: str) -> email_verification.Verified:
    with session_scope() as session:
        return email_verification.verify(session, get_settings(), token)


def ask_for_reset(login: str, ip: str) -> str:
    settings = get_settings()
    return password_reset.request_reset(
        get_cache(),
        settings,
        login,
        ip,
        lambda name: password_reset.enqueue_password_reset(name, settings),
    )


def reset_link_usable(token: str) -> bool:
    with session_scope() as session:
        return password_reset.check_link(session, get_settings(), token)


def set_new_password(token: str, password: str) -> None:
    with session_scope() as session:
        password_reset.reset_password(session, get_settings(), token, password)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value[:1024] if isinstance(value, str) else ""


class VerifyEmailState(rx.State):
    # "checking" while the link is read, then "verified" or "invalid".
    status: str = "checking"
    email: str = ""
    changed: bool = False
    error: str = ""

    @rx.event
    async def verify(self) -> None:
        """on_load: spend the link in the address bar (one UPDATE and a read, in a thread)."""
        self.status, self.email, self.changed, self.error = "checking", "", False, ""
        token = self.router.url.query_parameters.get("token", "")
        try:
            done = await asyncio.to_thread(verify_link, token)
        except ServiceError as exc:
            self.status, self.error = "invalid", exc.message
            return
        except Exception:
            log.exception("email verification failed")
            self.status, self.error = "invalid", UNEXPECTED
            return
        self.status, self.email, self.changed = "verified", done.email, done.changed


class ForgotPasswordState(rx.State):
    login_error: str = ""
    form_error: str = ""
    sent_message: str = ""
    submitting: bool = False

    @rx.event
    def prepare(self) -> None:
        self.login_error = self.form_error = self.sent_message = ""
        self.submitting = False

    @rx.event(background=True)
    async def submit(self, form_data: dict[str, Any]) -> Any:
        async with self:
            if self.submitting:
                return None
            self.login_error = self.form_error = self.sent_message = ""
            self.submitting = True
            ip = self.router.session.client_ip or "unknown"
        try:
            answer = await asyncio.to_thread(ask_for_reset, _text(form_data, "login"), ip)
        except ServiceError as exc:
            async with self:
                self.submitting = False
                if exc.field == "login":
                    self.login_error = exc.message
                else:
                    self.form_error = exc.message
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("password reset request failed")
            async with self:
                self.submitting = False
                self.form_error = UNEXPECTED
            return rx.toast.error(UNEXPECTED)
        async with self:
            self.submitting = False
            self.sent_message = answer
        return None


class ResetPasswordState(rx.State):
    # "checking", then "form" (the link works), "invalid", or "done".
    status: str = "checking"
    password_error: str = ""
    confirm_error: str = ""
    form_error: str = ""
    submitting: bool = False
    _token: str = ""

    @rx.event
    async def prepare(self) -> None:
        """on_load: keep the link's token on the server and say whether it still works."""
        self.password_error = self.confirm_error = self.form_error = ""
        self.submitting = False
        self._token = self.router.url.query_parameters.get("token", "")[:200]
        usable = await asyncio.to_thread(reset_link_usable, self._token)
        self.status = "form" if usable else "invalid"

    @rx.event(background=True)
    async def submit(self, form_data: dict[str, Any]) -> Any:
        password, confirm = _text(form_data, "password"), _text(form_data, "confirm")
        async with self:
            if self.submitting or self.status != "form":
                return None
            self.password_error = self.confirm_error = self.form_error = ""
            if password != confirm:
                self.confirm_error = "The two passwords differ."
                return None
            self.submitting = True
            token = self._token
        try:
            # argon2 hashing: in a thread, without the state lock.
            await asyncio.to_thread(set_new_password, token, password)
        except ServiceError as exc:
            async with self:
                self.submitting = False
                if exc.field == "password":
                    self.password_error = exc.message
                else:
                    self.status, self.form_error = "invalid", exc.message
            return rx.toast.error(exc.message)
        except Exception:
            log.exception("password reset failed")
            async with self:
                self.submitting = False
                self.form_error = UNEXPECTED
            return rx.toast.error(UNEXPECTED)
        async with self:
            self.submitting = False
            self.status, self._token = "done", ""
        return rx.toast.success("Your password was changed.")
