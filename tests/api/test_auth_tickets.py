"""HTTP sign-in: the one-time ticket a Reflex event makes, traded at /auth/session for the
session cookie (once, same site only, no open redirects); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.db import utcnow
from pixel_studio.models import UserSession
from pixel_studio.services.accounts import auth
from tests.api.auth_route_helpers import (  # noqa: F401  (auth_client, auth_events: fixtures)
    SAME_ORIGIN,
    auth_client,
    auth_events,
    make_ticket,
    use_cookie,
)


def test_ticket_exchange_sets_cookie_and_redirects_once(client: TestClient, db: Engine) -> None:
    ticket = make_ticket(db)
    resp = client.get(
        "/auth/session",
        params={"ticket": ticket, "next": "/settings?tab=1"},
        headers=SAME_ORIGIN,
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "/settings?tab=1"
    token = resp.cookies[SESSION_COOKIE]
    assert token != ticket  # the ticket is rotated into a new token, not reused
    assert "httponly" in resp.headers["set-cookie"].lower()
    assert client.get("/api/auth/me").json()["username"] == "tess"

    client.cookies.clear()
    again = client.get(
        "/auth/session", params={"ticket": ticket, "next": "/settings"}, headers=SAME_ORIGIN
    )
    assert again.status_code == 303
    assert again.headers["location"] == "/login?expired=1"
    assert "set-cookie" not in again.headers


@pytest.mark.parametrize(
    "target", ["//evil.com", "https://evil.com/x", "/\\evil.com", "evil.com", ""]
)
def test_ticket_exchange_refuses_open_redirects(
    client: TestClient, db: Engine, target: str
) -> None:
    resp = client.get(
        "/auth/session",
        params={"ticket": make_ticket(db), "next": target},
        headers=SAME_ORIGIN,
    )
    assert resp.status_code == 303
    assert resp.headers["location"] == "/home"


def test_expired_or_unknown_ticket_is_refused(client: TestClient, db: Engine) -> None:
    ticket = make_ticket(db)
    with db.begin() as conn:
        conn.execute(
            update(UserSession)
            .where(col(UserSession.token_hash) == auth.hash_token(ticket))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for value in (ticket, "made-up", ""):
        resp = client.get("/auth/session", params={"ticket": value}, headers=SAME_ORIGIN)
        assert resp.headers["location"] == "/login?expired=1"
        assert "set-cookie" not in resp.headers


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},  # a link or form on another site
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is another origin
        {"sec-fetch-site": "none"},  # typed or pasted into the address bar
        {"referer": "https://evil.example/page"},  # an older browser, from elsewhere
        {},  # neither header: not one of our pages
    ],
)
def test_ticket_from_another_site_does_not_sign_this_browser_in(
    client: TestClient, db: Engine, headers: dict[str, str]
) -> None:
    """Login CSRF: a link carrying the attacker's ticket must not switch the victim's session."""
    ticket = make_ticket(db, "mallory")
    refused = client.get("/auth/session", params={"ticket": ticket}, headers=headers)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/login?expired=1"
    assert "set-cookie" not in refused.headers
    # Refused before it was spent: the browser that asked for it can still use it.
    ok = client.get("/auth/session", params={"ticket": ticket}, headers=SAME_ORIGIN)
    assert ok.cookies.get(SESSION_COOKIE)


def test_ticket_with_our_own_referer_is_accepted(client: TestClient, db: Engine) -> None:
    """Browsers without Sec-Fetch-Site: the Referer names our own host."""
    resp = client.get(
        "/auth/session",
        params={"ticket": make_ticket(db)},
        headers={"referer": "http://testserver/login"},
    )
    assert resp.status_code == 303 and resp.cookies.get(SESSION_COOKIE)


def test_a_ticket_is_not_a_session_cookie(client: TestClient, db: Engine) -> None:
    use_cookie(client, make_ticket(db))
    assert client.get("/api/auth/me").status_code == 401
