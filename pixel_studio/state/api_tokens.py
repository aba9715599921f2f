"""Settings → API tokens: create (the secret is shown once), list and revoke personal tokens.

Creating one needs proof that the account's owner is at the keyboard (issue 13, item 6): the
password, or a sign-in under 10 minutes old; a stolen session cookie alone mints nothing.
The new token's secret never enters this state: the handler sends it straight to a read-only
input in the page (`rx.set_value`), so no state field, no hydrate snapshot after a reload and
no state store holds it; "Done" and leaving the section empty the input. The password typed
into the form is read from the submitted form data and never stored either.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
from pydantic import BaseModel

from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.services.accounts import api_tokens
from pixel_studio.services.errors import ServiceError
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState, checked_user_id, per_user, session_ended

SETTINGS_PATH = "/settings"
SECRET_INPUT_ID = "new-api-token"
NAME_INPUT_ID = "api-token-name"  # components/account_security.py: the form's inputs
PASSWORD_INPUT_ID = "api-token-password"
NEVER = "never"
SCOPES: dict[str, str] = {"write": "Read and write", "read": "Read only"}
EXPIRIES = {NEVER: "Never expires", **{str(d): f"Expires in {d} days" for d in (7, 30, 90)}}
EXPIRIES["365"] = "Expires in a year"


class TokenRow(BaseModel):
    id: int
    name: str
    created: str  # "2026-11-24 10:31 UTC"
    last_used: str  # "" when never used
    access: str  # "Read and write" / "Read only"
    expires: str  # "" when it never expires


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


def _rows(infos: list[api_tokens.TokenInfo]) -> list[TokenRow]:
    return [
        TokenRow(
            id=i.id,
            name=i.name,
            created=_when(i.created_at),
            last_used=_when(i.last_used_at),
            access=SCOPES.get(i.scope, i.scope),
            expires=_when(i.expires_at),
        )
        for i in infos
    ]


def read_tokens(user_id: int) -> list[TokenRow]:
    with session_scope() as session:
        return _rows(api_tokens.list_tokens(session, user_id))


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def create_and_read(
    user_id: int, form: dict[str, Any], session_token: str | None
) -> tuple[str, list[TokenRow]]:
    expiry = _text(form, "expires") or NEVER
    request: dict[str, object] = {
        "name": _text(form, "name"),
        "scope": _text(form, "scope") or api_tokens.WRITE,
        "expires_days": None if expiry == NEVER else expiry,
    }
    with session_scope() as session:
        made = api_tokens.create_proven_token(
            session,
            get_cache(),
            get_settings(),
            user_id,
            request,
            password=_text(form, "password")[:256],
            session_token=session_token,
        )
        return made.secret, _rows(api_tokens.list_tokens(session, user_id))


def revoke_and_read(user_id: int, token_id: int) -> list[TokenRow]:
    with session_scope() as session:
        api_tokens.revoke_token(session, user_id, token_id)
        return _rows(api_tokens.list_tokens(session, user_id))


@per_user
class ApiTokensState(rx.State):
    tokens: rx.Field[list[TokenRow]] = rx.field(default_factory=list)
    token_shown: rx.Field[bool] = rx.field(False)  # the secret is in the page's input
    shown_name: rx.Field[str] = rx.field("")
    error: rx.Field[str] = rx.field("")
    password_error: rx.Field[str] = rx.field("")
    busy: rx.Field[bool] = rx.field(False)

    @rx.var
    def has_tokens(self) -> bool:
        return len(self.tokens) > 0

    @rx.event
    async def load(self) -> Any:
        """When the section mounts: the user's tokens; a token shown earlier is gone."""
        auth = await self.get_state(AuthState)
        self.error = self.password_error = ""
        self.busy = False
        user_id = auth._user_id  # this event's viewer (IdentityMiddleware)
        self.tokens = [] if user_id is None else await asyncio.to_thread(read_tokens, user_id)
        return self._forget_secret()

    def _forget_secret(self) -> Any:
        self.token_shown, self.shown_name = False, ""
        return rx.set_value(SECRET_INPUT_ID, "")

    @rx.event
    def dismiss_token(self) -> Any:
        """ "Done", or the section leaving the page: the secret leaves the page too."""
        return self._forget_secret()

    @rx.event(background=True)
    async def create_token(self, form: dict[str, Any]) -> Any:
        async with self:
            if self.busy:
                return None
            user_id = await checked_user_id(self)
            if user_id is None:
                return session_ended(SETTINGS_PATH)
            self.busy, self.error, self.password_error = True, "", ""
            self.token_shown = False
            cookie_token = (await self.get_state(AuthState))._token()
        form = form if isinstance(form, dict) else {}
        try:
            secret, rows = await asyncio.to_thread(create_and_read, user_id, form, cookie_token)
        except ServiceError as exc:
            async with self:
                self.busy = False
                if exc.field == "password":
                    self.password_error = exc.message
                else:
                    self.error = exc.message
            return [rx.set_value(PASSWORD_INPUT_ID, ""), rx.toast.error(exc.message)]
        async with self:
            self.busy, self.tokens, self.token_shown = False, rows, True
            self.shown_name = rows[0].name if rows else ""
        return [
            rx.set_value(SECRET_INPUT_ID, secret),
            rx.set_value(NAME_INPUT_ID, ""),
            rx.set_value(PASSWORD_INPUT_ID, ""),
            rx.toast.success("Token created. Copy it now: it is not shown again."),
        ]

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
