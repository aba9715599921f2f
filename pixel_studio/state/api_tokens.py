"""Settings → API tokens: create (the token is shown once), list and revoke personal tokens.

Each handler re-checks the session first (`checked_user_id`), so a tab whose session was
revoked elsewhere cannot mint a token. The new token's text lives in `new_token` only until
the person dismisses it or leaves the page; the database keeps only its hash.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
from pydantic import BaseModel

from pixel_studio.db import session_scope
from pixel_studio.services import api_tokens
from pixel_studio.services.errors import ServiceError
from pixel_studio.state.auth import AuthState, checked_user_id, per_user, session_ended

SETTINGS_PATH = "/settings"


class TokenRow(BaseModel):
    id: int
    name: str
    created: str  # "2026-11-24 10:31 UTC"
    last_used: str  # "" when never used


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _rows(infos: list[api_tokens.TokenInfo]) -> list[TokenRow]:
    return [
        TokenRow(id=i.id, name=i.name, created=_when(i.created_at), last_used=_when(i.last_used_at))
        for i in infos
    ]


def read_tokens(user_id: int) -> list[TokenRow]:
    with session_scope() as session:
        return _rows(api_tokens.list_tokens(session, user_id))


def create_and_read(user_id: int, name: str) -> tuple[str, list[TokenRow]]:
    with session_scope() as session:
        made = api_tokens.create_token(session, user_id, name)
        return made.secret, _rows(api_tokens.list_tokens(session, user_id))


def revoke_and_read(user_id: int, token_id: int) -> list[TokenRow]:
    with session_scope() as session:
        api_tokens.revoke_token(session, user_id, token_id)
        return _rows(api_tokens.list_tokens(session, user_id))


@per_user
class ApiTokensState(rx.State):
    tokens: rx.Field[list[TokenRow]] = rx.field(default_factory=list)
    new_name: rx.Field[str] = rx.field("")
    new_token: rx.Field[str] = rx.field("")  # shown once, right after creating it
    error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    @rx.var
    def has_tokens(self) -> bool:
        return len(self.tokens) > 0

    @rx.event
    async def load(self) -> None:
        """When the section mounts: the user's tokens; a token shown earlier is gone."""
        auth = await self.get_state(AuthState)
        self.new_token, self.error, self.new_name, self.busy = "", "", "", False
        user_id = auth._user_id
        self.tokens = [] if user_id is None else await asyncio.to_thread(read_tokens, user_id)

    @rx.event
    def set_new_name(self, value: str) -> None:
        self.new_name = value
        self.error = ""

    @rx.event
    def dismiss_token(self) -> None:
        self.new_token = ""

    @rx.event(background=True)
    async def create_token(self, _form: dict[str, Any] | None = None) -> Any:
        async with self:
            if self.busy:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.busy, self.error, self.new_token = True, "", ""
            name = self.new_name
        try:
            secret, rows = await asyncio.to_thread(create_and_read, user_id, name)
        except ServiceError as exc:
            async with self:
                self.busy, self.error = False, exc.message
            return None
        async with self:
            self.busy, self.new_token, self.tokens, self.new_name = False, secret, rows, ""
        return rx.toast.success("Token created. Copy it now: it is not shown again.")

    @rx.event(background=True)
    async def revoke_token(self, token_id: int) -> Any:
        if isinstance(token_id, bool) or not isinstance(token_id, int):
            return rx.toast.error("That token does not exist (already revoked?).")
        async with self:
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
        try:
            rows = await asyncio.to_thread(revoke_and_read, user_id, token_id)
        except ServiceError as exc:
            return rx.toast.error(exc.message)
        async with self:
            self.tokens = rows
        return rx.toast.info("Token revoked: programs using it are refused from now on.")
