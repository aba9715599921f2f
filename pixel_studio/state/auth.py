"""Who is signed in: read from the HttpOnly session cookie on every page load.

The cookie is set and cleared by the backend's own HTTP routes (`/auth/session`,
`/auth/signed-out`); state only reads it from the socket handshake's headers, so a change is
seen after a full page load. That is why sign-in and log-out navigate with
`window.location.assign` instead of a client-side redirect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode

import reflex as rx
from reflex.event import EventSpec

from pixel_studio.api.cookies import safe_next
from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.db import session_scope
from pixel_studio.models import User
from pixel_studio.services import auth
from pixel_studio.storage import get_storage

SIGNED_OUT_URL = "/auth/signed-out"


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


def avatar_url(key: str | None) -> str:
    return get_storage().public_url(key) if key else ""


def profile_of(user: User) -> Profile:
    return Profile(
        user_id=user.id or 0,
        username=user.username,
        credits=user.credits,
        avatar_url=avatar_url(user.avatar_key),
        default_private=user.default_private,
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


class AuthState(rx.State):
    """The signed-in user as the nav and pages show it. The id stays on the server."""

    signed_in: bool = False
    username: str = ""
    credits: int = 0
    avatar_url: str = ""
    # Backend-only (leading underscore): never sent to the browser.
    _user_id: int | None = None

    @rx.var
    def initials(self) -> str:
        return self.username[:2].upper() if self.username else "?"

    def _apply(self, profile: Profile | None) -> None:
        self.signed_in = profile is not None
        self._user_id = profile.user_id if profile else None
        self.username = profile.username if profile else ""
        self.credits = profile.credits if profile else 0
        self.avatar_url = profile.avatar_url if profile else ""

    def _token(self) -> str | None:
        return session_token(self.router.headers.cookie)

    def _refresh(self) -> None:
        # One indexed lookup: cheap enough for a normal (locking) handler.
        self._apply(load_profile(self._token()))

    @rx.event
    def load_user(self) -> None:
        """on_load of every page: fill the shell from the session cookie."""
        self._refresh()

    @rx.event
    def require_user(self) -> EventSpec | None:
        """on_load of pages that need an account: visitors go to log in first."""
        self._refresh()
        if not self.signed_in:
            return rx.redirect(login_url(self.router.url.path or "/home"), replace=True)
        return None

    @rx.event
    def redirect_signed_in(self) -> EventSpec | None:
        """on_load of pages meant for visitors (landing, sign-up, log-in)."""
        self._refresh()
        if self.signed_in:
            return rx.redirect("/home", replace=True)
        return None

    @rx.event
    def log_out(self) -> EventSpec:
        """Revoke the session server-side; `/auth/signed-out` then drops the dead cookie."""
        revoke_session(self._token())
        self._apply(None)
        return full_page_load(SIGNED_OUT_URL)
