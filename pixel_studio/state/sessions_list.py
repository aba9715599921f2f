"""Settings → Sessions: where the account is signed in, signing one out, or every one.

Each row is a live session: its browser (from the User-Agent), its network (an IPv4 /24 or
IPv6 /48), when it signed in and was last seen, and "this device" for the session of the
browser asking. Signing one out revokes it server-side: that browser's open tabs are signed
out at their next event (IdentityMiddleware). "Sign out everywhere" also deletes every API
token unless its box is unticked: a stolen session must not leave a token behind.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx
from pydantic import BaseModel

from pixel_studio.db import session_scope
from pixel_studio.services.accounts import api_tokens, auth, sessions
from pixel_studio.services.errors import ServiceError
from pixel_studio.state.auth import (
    SIGNED_OUT_URL,
    AuthState,
    checked_user_id,
    full_page_load,
    per_user,
    session_ended,
)

log = logging.getLogger(__name__)
SETTINGS_PATH = "/settings"


class SessionRow(BaseModel):
    id: int
    browser: str
    network: str  # "" when unknown
    signed_in: str
    last_seen: str
    current: bool


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _rows(infos: list[sessions.SessionInfo]) -> list[SessionRow]:
    return [
        SessionRow(
            id=i.id,
            browser=i.browser,
            network=i.network,
            signed_in=_when(i.signed_in_at),
            last_seen=_when(i.last_seen_at),
            current=i.current,
        )
        for i in infos
    ]


def read_sessions(user_id: int, token: str | None) -> list[SessionRow]:
    with session_scope() as session:
        return _rows(sessions.list_sessions(session, user_id, token))


def sign_out_one(user_id: int, session_id: int, token: str | None) -> list[SessionRow]:
    with session_scope() as session:
        sessions.revoke_session(session, user_id, session_id)
        return _rows(sessions.list_sessions(session, user_id, token))


def sign_out_everywhere(user_id: int, also_tokens: bool) -> tuple[int, int]:
    """Revoke every session (and, if asked, every API token) in one transaction."""
    with session_scope() as session:
        tokens = api_tokens.revoke_all_tokens(session, user_id) if also_tokens else 0
        return auth.revoke_all(session, user_id), tokens


@per_user
class SessionsState(rx.State):
    rows: rx.Field[list[SessionRow]] = rx.field(default_factory=list)
    also_tokens: rx.Field[bool] = rx.field(True)
    signing_out: rx.Field[bool] = rx.field(False)

    @rx.event
    async def load(self) -> None:
        """When the section mounts: the account's live sessions, this device first."""
        auth_state = await self.get_state(AuthState)
        self.signing_out, self.also_tokens = False, True
        user_id = auth_state._user_id  # this event's viewer (IdentityMiddleware)
        self.rows = (
            []
            if user_id is None
            else await asyncio.to_thread(read_sessions, user_id, auth_state._token())
        )

    @rx.event
    def set_also_tokens(self, value: bool) -> None:
        self.also_tokens = bool(value)

    @rx.event(background=True)
    async def sign_out_session(self, session_id: int) -> Any:
        if isinstance(session_id, bool) or not isinstance(session_id, int):
            return rx.toast.error("That session has already ended.")
        async with self:
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            token = (await self.get_state(AuthState))._token()
            current = any(r.id == session_id and r.current for r in self.rows)
        try:
            rows = await asyncio.to_thread(sign_out_one, user_id, session_id, token)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        if current:  # this browser's own session: the same as logging out here
            async with self:
                await (await self.get_state(AuthState))._sign_out_tab()
            return full_page_load(SIGNED_OUT_URL)
        async with self:
            self.rows = rows
        return rx.toast.success("Signed out: that browser must log in again.")

    @rx.event(background=True)
    async def sign_out_everywhere(self) -> Any:
        """Revoke every session of the user: this tab now, the others at their next event."""
        async with self:
            if self.signing_out:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.signing_out = True
            also_tokens = self.also_tokens
        try:
            await asyncio.to_thread(sign_out_everywhere, user_id, also_tokens)
        except Exception:
            log.exception("sign out everywhere failed")
            async with self:
                self.signing_out = False
            return rx.toast.error("Could not sign out everywhere. Please try again.")
        async with self:
            await (await self.get_state(AuthState))._sign_out_tab()
        # `/auth/signed-out` drops this browser's cookie, now that its session is revoked.
        return full_page_load(SIGNED_OUT_URL)
