"""Shared by the REST API tests: the app's client on the test database (personal tokens),
a small world of users, tokens and images, and error-shape checks (the `memory` and `client`
fixtures: tests/api/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.api import create_api, discovery
from pixel_studio.api.deps import db_session
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.db import session_scope
from pixel_studio.services import users
from pixel_studio.services.accounts import api_tokens, auth
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage.local import LocalStorage
from tests.api.test_media import make_image


def api_client(db: Engine, settings: Settings, memory: MemoryCache) -> TestClient:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s

    # The generation tier counts in the process's limiter (rate_limits.get_limiter(), shared
    # with the create form): a fresh one per client, so earlier tests' jobs are not counted.
    get_cache.cache_clear()
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[db_session] = session_override
    api.dependency_overrides[get_cache] = lambda: memory
    api.dependency_overrides[discovery.explore_deps] = lambda: (
        settings,
        memory,
        lambda: session_scope(db),
    )
    return TestClient(api, raise_server_exceptions=False)


@dataclass
class World:
    alice: int
    bob: int
    public: int  # alice's public image
    private: int  # alice's private image
    alice_token: str
    bob_token: str
    bob_token_id: int
    alice_cookie: str


def make_world(db: Engine, settings: Settings) -> World:
    storage = LocalStorage(settings)
    with Session(db, expire_on_commit=False) as s:
        alice = users.create_user(s, "alice", "a@example.com", "longenough", bonus=5)
        bob = users.create_user(s, "bob", "b@example.com", "longenough", bonus=0)
        public = make_image(s, storage, alice.id or 0, private=False)
        private = make_image(s, storage, alice.id or 0, private=True)
        cookie = auth.create_session(s, alice.id or 0, settings)
        s.commit()
        a_tok = api_tokens.create_token(s, alice.id or 0, "laptop")
        b_tok = api_tokens.create_token(s, bob.id or 0, "script")
        return World(
            alice.id or 0,
            bob.id or 0,
            public.id or 0,
            private.id or 0,
            a_tok.secret,
            b_tok.secret,
            b_tok.info.id,
            cookie,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    err = r.json()["error"]
    assert set(err) == {"code", "message", "field"} and err["message"]
    if code is not None:
        assert err["code"] == code
    return err
