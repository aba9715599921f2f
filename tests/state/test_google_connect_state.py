"""Settings' Google section: connection status, the Connect button, messages from the route."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_studio.api.google import CONNECT_PATH, KNOWN_ERRORS
from pixel_studio.db import session_scope
from pixel_studio.services.accounts import oauth
from pixel_studio.settings import get_settings
from pixel_studio.state.google_connect import CONNECT_FAILED, GoogleConnectState
from tests.state.test_account_state import (
    app_db,
    make_state,
    new_user,
    run,
    script_of,
    signed_in_cookie,
)

__all__ = ["app_db"]  # the fixture, used by name below


@pytest.fixture
def google_on(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOOGLE_CLIENT_ID", "pixel-studio")
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "s3cret")
    get_settings.cache_clear()
    return app_db


def test_not_connected_shows_the_button_that_starts_the_round_trip(google_on: Path) -> None:
    state = make_state(
        GoogleConnectState, cookie=signed_in_cookie(new_user("kim")), path="/settings"
    )
    run(GoogleConnectState.load, state)
    assert (state.enabled, state.connected, state.email) == (True, False, "")
    assert script_of(run(GoogleConnectState.connect, state)) == (
        f'window.location.assign("{CONNECT_PATH}")'
    )


def test_connected_account_shows_its_google_email(google_on: Path) -> None:
    user = new_user("lee")
    with session_scope() as s:
        oauth.connect_oauth(s, user.id or 0, "google", "sub-lee", "lee@gmail.com")
    cookie = signed_in_cookie(user)
    state = make_state(GoogleConnectState, cookie=cookie, path="/settings?google=connected")
    run(GoogleConnectState.load, state)
    assert (state.connected, state.email) == (True, "lee@gmail.com")
    assert state.notice.startswith("Google is connected")


def test_only_messages_the_route_sends_are_shown(google_on: Path) -> None:
    cookie = signed_in_cookie(new_user("max"))
    known = sorted(KNOWN_ERRORS)[0]
    state = make_state(GoogleConnectState, cookie=cookie, path=f"/settings?google_error={known}")
    run(GoogleConnectState.load, state)
    assert state.error == known
    crafted = "/settings?google_error=Your+account+is+locked.+Call+0800"
    state = make_state(GoogleConnectState, cookie=cookie, path=crafted)
    run(GoogleConnectState.load, state)
    assert state.error == CONNECT_FAILED


def test_hidden_when_google_is_not_configured(app_db: Path) -> None:
    state = make_state(GoogleConnectState, cookie=signed_in_cookie(new_user("ned")))
    run(GoogleConnectState.load, state)
    assert state.enabled is False
