"""Who is signed in: read from the HttpOnly session cookie of THIS socket, at every event.

The cookie is set and cleared by the backend's own HTTP routes (`/auth/session`,
`/auth/signed-out`); state only reads it from the socket handshake's headers, so a change is
seen after a full page load. That is why sign-in and log-out navigate with
`window.location.assign` instead of a client-side redirect.

Reflex keys a tab's state by a token the browser picks, and the state outlives the socket: a
new socket presenting the same token gets the same state. So the identity is never trusted
from state. `IdentityMiddleware` (state/identity.py) runs before EVERY event handler and calls
`AuthState._verify_identity`: the user of the live session named by the cookie of the socket
that sent the event becomes `_user_id` for that event. When it differs from the identity the
tab had (log-out elsewhere, "sign out everywhere", a session signed out from the sessions list,
expiry, suspension, a socket without the cookie replaying the token), every state of the app
is reset first, so no handler and no hydrate can read the previous user's data.

Handlers that change something still ask `checked_user_id` (one more indexed lookup) inside
their own `async with self`, because a background event may run long after its start. The
job-event listener asks the same question before each delivery.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import TypeVar
from urllib.parse import urlencode

import reflex as rx
from reflex.event import EventSpec

from pixel_studio.api.cookies import safe_next
from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.db import session_scope
from pixel_studio.models import User
from pixel_studio.services.accounts import auth, sessions
from pixel_studio.storage import get_storage
from pixel_studio.tabs import get_tabs

SIGNED_OUT_URL = "/auth/signed-out"
SESSION_ENDED = "Your session has ended. Log in again."

S = TypeVar("S", bound=type[rx.State])
# Whose live session a token is; `memo_lookup` gives one that asks once per token.
SessionLookup = Callable[[str | None], Awaitable[int | None]]

# States holding one user's data in a tab; signing the tab out resets each of them.
_PER_USER: list[type[rx.State]] = []


def per_user(cls: S) -> S:
    """Class decorator: this state holds the signed-in user's data (reset at sign-out)."""
    _PER_USER.append(cls)
    return cls


def session_token(cookie_header: str | None) -> str | None:
    """The session token in a `Cookie:` header, or None.

    Parsed pair by pair: `SimpleCookie.load` gives up on the whole header at the first
    malformed cookie, and on localhost other apps' cookies share the header with ours.
    """
    for pair in (cookie_header or "").split(";"):
        name, sep, _value = pair.strip().partition("=")
        if not sep or name.strip() != SESSION_COOKIE:
            continue
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(pair.strip())
        except CookieError:
            return None
        morsel = jar.get(SESSION_COOKIE)
        return morsel.value if morsel and morsel.value else None
    return None


def login_url(next_path: str) -> str:
    """Where a visitor goes to sign in before seeing `next_path`."""
    # A direct page load arrives as "/home/" (static export); keep the link tidy.
    path = safe_next(next_path)
    return "/login?" + urlencode({"next": path.rstrip("/") or "/"})


def session_url(ticket: str, next_path: str) -> str:
    """The route that trades a one-time sign-in ticket for the session cookie."""
    return "/auth/session?" + urlencode({"ticket": ticket, "next": safe_next(next_path)})


def full_page_load(url: str) -> EventSpec:
    """Navigate with a real page load, so the new socket carries the new cookie."""
    return rx.call_script(f"window.location.assign({json.dumps(url)})")


@dataclass(frozen=True)
class Profile:
    """What the shell shows about the signed-in user (never the user row itself)."""

    user_id: int
    username: str
    credits: int
    avatar_url: str
    default_private: bool
    is_admin: bool = False


def avatar_url(key: str | None) -> str:
    return get_storage().public_url(key) if key else ""


def profile_of(user: User) -> Profile:
    return Profile(
        user_id=user.id or 0,
        username=user.username,
        credits=user.credits,
        avatar_url=avatar_url(user.avatar_key),
        default_private=user.default_private,
        is_admin=user.is_admin,
    )


def load_profile(token: str | None) -> Profile | None:
    """The profile for a session token; None if it is missing, forged, expired or revoked."""
    if not token:
        return None
    with session_scope() as session:
        user = auth.user_for_token(session, token)
        return profile_of(user) if user is not None else None


def revoke_session(token: str | None) -> None:
    with session_scope() as session:
        auth.revoke(session, token)


def live_user_id(token: str | None) -> int | None:
    """Blocking: whose live session the token is (one lookup on a unique index)."""
    with session_scope() as session:
        return auth.session_user_id(session, token)


async def lookup_user_id(token: str | None) -> int | None:
    return await asyncio.to_thread(live_user_id, token)


def seen_session(token: str | None, network: str) -> sessions.Seen | None:
    """Blocking: whose live session the token is, recording (every few minutes) its use."""
    with session_scope() as session:
        return sessions.touch(session, token, network)


def app_states() -> list[type[rx.State]]:
    """Every state class of this app (not Reflex's own): what a change of identity resets."""
    found: dict[type[rx.State], None] = {}
    pending: list[type[rx.State]] = [rx.State]
    plugins = plugin_state_modules()
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            pending.append(sub)
            ours = sub.__module__.startswith("pixel_studio.") or sub.__module__ in plugins
            if ours and not sub._mixin:
                found[sub] = None
    return list(found)


def plugin_state_modules() -> frozenset[str]:
    """Modules of the loaded page plugins' states (PagePlugin.state): their states are the
    app's too, reset on a change of identity like the rest."""
    from pixel_studio.plugins.discovery import loaded_page_plugins

    # Loaded at the app's start (pixel_studio.py); never loaded from here.
    return frozenset(p.state.__module__ for p in loaded_page_plugins() if p.state is not None)


def memo_lookup() -> SessionLookup:
    """A lookup that asks the database once per token: for one job event sent to many tabs.
    Tabs are updated concurrently, so the first caller's lookup is shared, not repeated."""
    seen: dict[str | None, asyncio.Future[int | None]] = {}

    async def lookup(token: str | None) -> int | None:
        if token not in seen:
            seen[token] = asyncio.ensure_future(lookup_user_id(token))
        return await seen[token]

    return lookup


def session_ended(path: str) -> list[EventSpec]:
    """What a handler answers when the tab's session has ended: say so, go and log in."""
    return [rx.toast.error(SESSION_ENDED), rx.redirect(login_url(path or "/home"), replace=True)]


class AuthState(rx.State):
    """The signed-in user as the nav and pages show it. The id stays on the server."""

    signed_in: bool = False
    username: str = ""
    credits: int = 0
    avatar_url: str = ""
    # Only shows the nav's Admin link: every admin page and action asks the server again.
    is_admin: bool = False
    # Backend-only (leading underscore): never sent to the browser.
    _user_id: int | None = None
    _session_id: int | None = None  # the UserSession the cookie names (tabs.py registers it)

    @rx.var
    def initials(self) -> str:
        return self.username[:2].upper() if self.username else "?"

    def _apply(self, profile: Profile | None) -> None:
        self.signed_in = profile is not None
        self._user_id = profile.user_id if profile else None
        if profile is None:
            self._session_id = None
        self.username = profile.username if profile else ""
        self.credits = profile.credits if profile else 0
        self.avatar_url = profile.avatar_url if profile else ""
        self.is_admin = profile.is_admin if profile else False

    def _token(self) -> str | None:
        return session_token(self.router.headers.cookie)

    async def _refresh(self) -> None:
        # A few indexed lookups, in a thread so the event loop keeps serving other tabs.
        profile = await asyncio.to_thread(load_profile, self._token())
        if self._user_id is not None and (profile is None or profile.user_id != self._user_id):
            await self._sign_out_tab()  # the session this tab loaded with has ended
        self._apply(profile)

    async def _checked_user_id(self, lookup: SessionLookup = lookup_user_id) -> int | None:
        """This tab's user, if the session it loaded with is still live; else None, and the
        tab is signed out (every per-user state reset, unregistered from job events).

        Every state-changing handler calls this (through `checked_user_id(state)`, inside
        `async with self` in a background event) instead of trusting the id loaded with
        the page: a session revoked anywhere then takes effect on the tab's next event."""
        user_id = await lookup(self._token())
        if user_id is not None and user_id == self._user_id:
            return user_id
        if self._user_id is not None or self.signed_in:
            await self._sign_out_tab()
        return None

    async def _verify_identity(self) -> None:
        """Before every event (IdentityMiddleware): `_user_id` := the user of the live session
        in this socket's cookie, or None. A different identity than the tab had resets every
        state of the app first (`_sign_out_tab`): nothing of the previous user is left to read.
        The balance comes with that lookup: a live push sends it to the browser only
        (state/live_tabs.py), and here the tab's state catches up before any handler runs."""
        token = self._token()
        seen = None
        if token:  # no cookie, no lookup: a visitor's events cost nothing here
            network = sessions.network_of(self.router.session.client_ip)
            seen = await asyncio.to_thread(seen_session, token, network)
        user_id = seen.user_id if seen is not None else None
        if user_id != self._user_id and (self._user_id is not None or self.signed_in):
            await self._sign_out_tab()
        self._user_id = user_id
        self._session_id = seen.session_id if seen is not None else None
        if seen is not None and self.signed_in and self.credits != seen.credits:
            self.credits = seen.credits

    async def _sign_out_tab(self) -> None:
        """Forget the user in this tab: the shell, every state of the app (the page's data may
        be theirs), the tab's entry in the registry of tabs that receive live job events."""
        user_ids = {self._user_id}
        self._apply(None)
        for cls in _PER_USER:
            state = await self.get_state(cls)
            user_ids.add(getattr(state, "_user_id", None))
        for cls in app_states():
            if cls is not AuthState:
                (await self.get_state(cls)).reset()
        token = self.router.session.client_token
        for user_id in user_ids - {None}:
            assert user_id is not None
            await asyncio.to_thread(get_tabs().forget, user_id, token)

    @rx.event
    async def load_user(self) -> None:
        """on_load of every page: fill the shell from the session cookie."""
        await self._refresh()

    @rx.event
    async def require_user(self) -> EventSpec | None:
        """on_load of pages that need an account: visitors go to log in first."""
        await self._refresh()
        if not self.signed_in:
            return rx.redirect(login_url(self.router.url.path or "/home"), replace=True)
        return None

    @rx.event
    async def redirect_signed_in(self) -> EventSpec | None:
        """on_load of pages meant for visitors (landing, sign-up, log-in)."""
        await self._refresh()
        if self.signed_in:
            return rx.redirect("/home", replace=True)
        return None

    @rx.event
    async def log_out(self) -> EventSpec:
        """Revoke the session server-side and sign this tab out; `/auth/signed-out` then
        drops the dead cookie. Other tabs notice on their next event (`checked_user_id`)."""
        await asyncio.to_thread(revoke_session, self._token())
        await self._sign_out_tab()
        return full_page_load(SIGNED_OUT_URL)


async def checked_user_id(state: rx.State, lookup: SessionLookup = lookup_user_id) -> int | None:
    """The re-check every state-changing handler starts with (see `AuthState._checked_user_id`).

    In a background event call it inside `async with self`: it may reset states."""
    auth_state = await state.get_state(AuthState)
    return await auth_state._checked_user_id(lookup)


async def register_tab(state: rx.State, user_id: int) -> None:
    """Let live events reach this tab (tabs.py), with its session and page: a push of a small
    value then checks the session and reaches the socket without loading the tab's state."""
    auth = await state.get_state(AuthState)
    token = state.router.session.client_token
    path = str(state.router.url.path or "")
    await asyncio.to_thread(get_tabs().register, user_id, token, auth._session_id, path)
