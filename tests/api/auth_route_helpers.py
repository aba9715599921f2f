"""Shared by the HTTP sign-in route tests (test_auth_routes.py, test_auth_tickets.py): the API
on the test database with a recorder of commit and response order, and sign-up/log-in helpers.
The fixtures are registered as `client` and `events` where a test module imports them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.types import Message, Receive, Scope, Send

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings, get_settings

PASSWORD = "correct horse"
# What the browser sends when one of our pages loads /auth/session (window.location.assign).
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


class Recorder:
    """Wraps the ASGI app to note when the response starts, next to the session's commit."""

    def __init__(self, app: Any, events: list[str]) -> None:
        self.app = app
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.events.append("response")
            await send(message)

        await self.app(scope, receive, send_and_note)


@pytest.fixture(name="events")
def auth_events() -> list[str]:
    """What happened, in order: "commit" (the session's) and "response" (the first byte)."""
    return []


@pytest.fixture(name="client")
def auth_client(db: Engine, settings: Settings, events: list[str]) -> Iterator[TestClient]:
    """The API on the test database, with its own settings and a fresh in-memory cache."""

    def session_override() -> Iterator[Session]:
        # The same contract as db.session_scope: commit on success, roll back on error.
        with Session(db, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
                events.append("commit")
            except BaseException:
                s.rollback()
                raise

    api = create_api()
    cache = MemoryCache()
    api.dependency_overrides[db_session] = session_override
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[get_cache] = lambda: cache
    with TestClient(Recorder(api, events), follow_redirects=False) as c:
        yield c


def signup(
    client: TestClient, username: str = "alice", email: str = "alice@example.com"
) -> dict[str, Any]:
    resp = client.post(
        "/api/auth/signup", json={"username": username, "email": email, "password": PASSWORD}
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def login(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"login": login, "password": password})


def use_cookie(client: TestClient, token: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)


def make_ticket(db: Engine, username: str = "tess") -> str:
    with Session(db, expire_on_commit=False) as s:
        user = users.create_user(s, username, f"{username}@example.com", PASSWORD, bonus=5)
        ticket = auth.create_ticket(s, user.id or 0)
        s.commit()
    return ticket
