"""Settings' "Google" section: whether Google opens this account, and a button to connect it.

Connecting is an OAuth round trip through `/auth/google/connect` (api/google.py): a full page
load, since the callback must see the session cookie. It comes back to `/settings` with
`?google=connected` or `?google_error=<message>`; only messages the route really sends are
shown, so a crafted link cannot put its own words on the page.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from pixel_studio.api.google import CONNECT_PATH, KNOWN_ERRORS, PROVIDER
from pixel_studio.db import session_scope
from pixel_studio.services.accounts import auth, oauth
from pixel_studio.settings import get_settings
from pixel_studio.state.auth import full_page_load, session_token

CONNECT_FAILED = "Google could not be connected. Please try again."


def google_email(token: str | None) -> str | None:
    """The email of the Google identity linked to the signed-in account, or None."""
    with session_scope() as session:
        user = auth.user_for_token(session, token)
        if user is None or user.id is None:
            return None
        return oauth.oauth_email(session, user.id, PROVIDER)


class GoogleConnectState(rx.State):
    enabled: bool = False
    connected: bool = False
    email: str = ""
    notice: str = ""
    error: str = ""

    @rx.event
    def load(self) -> None:
        """on_mount of the section: one indexed read, fine in a normal handler."""
        self.enabled = get_settings().google_enabled
        email = google_email(session_token(self.router.headers.cookie))
        self.connected = email is not None
        self.email = email or ""
        query = self.router.url.query_parameters
        self.notice = (
            "Google is connected: it now signs you in to this account."
            if (query.get("google") == "connected" and self.connected)
            else ""
        )
        error = query.get("google_error", "")
        self.error = (error if error in KNOWN_ERRORS else CONNECT_FAILED) if error else ""

    @rx.event
    def connect(self) -> EventSpec:
        return full_page_load(CONNECT_PATH)
