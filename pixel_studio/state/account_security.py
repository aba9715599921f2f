"""Settings' "Email" and "Password" sections: see and verify the address, change it, change
the password. Every handler starts with `checked_user_id` (state/auth.py); the work (argon2,
queries) runs in a thread outside the state lock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.accounts import account_security, email_verification
from pixel_studio.services.errors import ServiceError
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import checked_user_id, per_user, session_ended, session_token

log = logging.getLogger(__name__)
SETTINGS_PATH = "/settings"
UNEXPECTED = "Something went wrong on our side. Please try again."


def security_view(user_id: int) -> account_security.SecurityView:
    with session_scope() as session:
        return account_security.view(session, user_id)


def resend_link(user_id: int, ip: str) -> str:
    with session_scope() as session:
        return email_verification.resend(session, get_cache(), get_settings(), user_id, ip)


def change_password(user_id: int, current: str, new: str, keep: str | None, ip: str) -> int:
    with session_scope() as session:
        return account_security.change_password(
            session, get_cache(), get_settings(), user_id, current, new, keep, ip
        )


def change_email(user_id: int, password: str, new_email: str, ip: str) -> str:
    with session_scope() as session:
        return account_security.change_email(
            session, get_cache(), get_settings(), user_id, password, new_email, ip
        )


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value[:1024] if isinstance(value, str) else ""


@per_user
class AccountSecurityState(rx.State):
    email: str = ""
    verified: bool = False
    pending_email: str = ""
    has_password: bool = True
    resending: bool = False
    # Change email
    new_email_error: str = ""
    email_password_error: str = ""
    changing_email: bool = False
    email_form_key: int = 0  # bumped after success: the form remounts empty
    # Change password
    current_password_error: str = ""
    new_password_error: str = ""
    changing_password: bool = False
    password_form_key: int = 0

    def _apply(self, view: account_security.SecurityView) -> None:
        self.email, self.verified = view.email, view.verified
        self.pending_email, self.has_password = view.pending_email, view.has_password

    @rx.event
    async def load(self) -> Any:
        """on_mount of the sections: one read for the address and its state."""
        self.resending = self.changing_email = self.changing_password = False
        self.new_email_error = self.email_password_error = ""
        self.current_password_error = self.new_password_error = ""
        user_id = await checked_user_id(self)
        if user_id is None:
            return None
        self._apply(await asyncio.to_thread(security_view, user_id))
        return None

    async def _run(self, busy: str, call: Callable[..., Any], *args: Any) -> Any:
        """Run a service call in a thread with `busy` set; ServiceError to its field."""
        try:
            return await asyncio.to_thread(call, *args)
        except ServiceError as exc:
            async with self:
                setattr(self, busy, False)
                name = {
                    "current_password": (
                        "email_password_error"
                        if busy == "changing_email"
                        else "current_password_error"
                    ),
                    "new_email": "new_email_error",
                    "new_password": "new_password_error",
                }.get(exc.field or "")
                if name:
                    setattr(self, name, exc.message)
            raise
        except Exception:
            log.exception("account security: %s failed", busy)
            async with self:
                setattr(self, busy, False)
            raise

    @rx.event(background=True)
    async def resend_verification(self) -> Any:
        async with self:
            if self.resending:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.resending = True
            ip = self.router.session.client_ip or "unknown"
        try:
            sent_to = await self._run("resending", resend_link, user_id, ip)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        except Exception:
            return rx.toast.error(UNEXPECTED)
        async with self:
            self.resending = False
        return rx.toast.success(f"We sent a new link to {sent_to}.")

    @rx.event(background=True)
    async def change_email(self, form_data: dict[str, Any]) -> Any:
        async with self:
            if self.changing_email:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.changing_email = True
            self.new_email_error = self.email_password_error = ""
            ip = self.router.session.client_ip or "unknown"
        args = (user_id, _text(form_data, "password"), _text(form_data, "new_email"), ip)
        try:
            new_email = await self._run("changing_email", change_email, *args)
            view = await asyncio.to_thread(security_view, user_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        except Exception:
            return rx.toast.error(UNEXPECTED)
        async with self:
            self.changing_email = False
            self.email_form_key += 1
            self._apply(view)
        return rx.toast.success(f"Open the link we sent to {new_email} to finish the change.")

    @rx.event(background=True)
    async def change_password(self, form_data: dict[str, Any]) -> Any:
        async with self:
            if self.changing_password:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.current_password_error = self.new_password_error = ""
            if _text(form_data, "new_password") != _text(form_data, "confirm_password"):
                self.new_password_error = "The two new passwords differ."
                return None
            self.changing_password = True
            keep = session_token(self.router.headers.cookie)
            ip = self.router.session.client_ip or "unknown"
        args = (
            user_id,
            _text(form_data, "current_password"),
            _text(form_data, "new_password"),
            keep,
            ip,
        )
        try:
            ended = await self._run("changing_password", change_password, *args)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        except Exception:
            return rx.toast.error(UNEXPECTED)
        async with self:
            self.changing_password = False
            self.password_form_key += 1
        others = f" {ended} other session{'' if ended == 1 else 's'} signed out." if ended else ""
        return rx.toast.success(f"Your password was changed.{others}")
