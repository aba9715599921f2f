"""Every rate-limit tier burst over through real HTTP routes, on SQLite and PostgreSQL.

Each tier gets a tiny moving window from settings ("2 per 2 seconds"; sign-in and sign-up 4 s,
as each attempt hashes a password, ~0.5 s on a busy machine), so a burst is refused with 429
and a Retry-After within the window, and a sleep of one window shows it recover. Beside
each burst: another client or user is not slowed down, nor the same caller in another tier.
Visitors are told apart by the address the trusted proxy forwards (TRUSTED_PROXY_HOPS=1).
The financial tier has no HTTP route (checkout starts from the credits page's state): its
service test stands (tests/services/test_financial_tier.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pixel_studio import events
from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.models import CreditKind, GenerationJob
from pixel_studio.services import credits
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings, get_settings
from tests.api.rest_helpers import api_client, assert_error, bearer, make_world

WINDOW = 2  # seconds, for the generation, write and read tiers
AUTH_WINDOW = 4  # sign-in and sign-up
TINY = {
    "login_attempts_per_window": 2,
    "login_window_seconds": AUTH_WINDOW,
    "signups_per_window": 2,
    "signup_window_seconds": AUTH_WINDOW,
    "rate_limit_generation": f"2 per {WINDOW} seconds",
    "rate_limit_write": f"2 per {WINDOW} seconds",
    "rate_limit_read": f"3 per {WINDOW} seconds",
    "trusted_proxy_hops": 1,
}


@pytest.fixture
def tiny(settings: Settings) -> Settings:
    return settings.model_copy(update=TINY)


@pytest.fixture
def client(db: Engine, tiny: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # The generation tier counts in the process's limiter (rate_limits.get_limiter(), as the
    # create form does): a fresh cache, so no other test's counts are in it. The social
    # services read the write tier's number from the process's settings (hit_write).
    monkeypatch.setenv("RATE_LIMIT_WRITE", str(TINY["rate_limit_write"]))
    get_settings.cache_clear()
    get_cache.cache_clear()
    with api_client(db, tiny, MemoryCache()) as c:
        yield c
    get_cache.cache_clear()
    get_settings.cache_clear()


def via(ip: str, **headers: str) -> dict[str, str]:
    """Headers of a request the proxy forwarded from `ip`."""
    return {"X-Forwarded-For": ip, **headers}


def assert_refused(r: Any, window: int = WINDOW, api: bool = True) -> None:
    if api:  # /api/v1: the REST API's JSON error shape
        assert "Try again in about" in assert_error(r, 429, "rate_limited")["message"]
    else:
        assert r.status_code == 429, r.text
    assert 1 <= int(r.headers["retry-after"]) <= window  # whole seconds, never past the window


def wait_out(window: int = WINDOW) -> None:
    time.sleep(window + 0.05)  # every hit of the burst has left the moving window


def test_log_in_burst_per_client(client: TestClient) -> None:
    def attempt(ip: str, name: str) -> Any:
        return client.post(
            "/api/auth/login", json={"login": name, "password": "wrong pw"}, headers=via(ip)
        )

    assert [attempt("203.0.113.5", f"n{i}").status_code for i in range(2)] == [401, 401]
    limited = attempt("203.0.113.5", "n3")
    assert_refused(limited, AUTH_WINDOW, api=False)
    assert "Too many sign-in attempts" in limited.json()["detail"]
    assert attempt("203.0.113.6", "n4").status_code == 401  # another client goes on
    body = {"username": "carol", "email": "c@example.com", "password": "longenough"}
    signed_up = client.post("/api/auth/signup", json=body, headers=via("203.0.113.5"))
    assert signed_up.status_code == 201  # sign-up is another tier
    wait_out(AUTH_WINDOW)
    assert attempt("203.0.113.5", "n5").status_code == 401  # the window has room again


def test_sign_up_burst_per_network_ipv6_per_64(client: TestClient) -> None:
    def sign_up(ip: str, name: str) -> Any:
        body = {"username": name, "email": f"{name}@example.com", "password": "longenough"}
        client.cookies.clear()
        return client.post("/api/auth/signup", json=body, headers=via(ip))

    assert sign_up("2001:db8:1:2::1", "ann").status_code == 201
    assert sign_up("2001:db8:1:2::99", "ben").status_code == 201  # same /64: same allowance
    limited = sign_up("2001:db8:1:2:ffff::7", "cat")
    assert_refused(limited, AUTH_WINDOW, api=False)
    assert sign_up("2001:db8:1:3::1", "dan").status_code == 201  # the next /64 is not us
    wait_out(AUTH_WINDOW)
    assert sign_up("2001:db8:1:2::1", "cat").status_code == 201


def _jobs(db: Engine) -> int:
    with Session(db) as s:
        return s.exec(select(func.count()).select_from(GenerationJob)).one()


def test_generation_burst_through_the_v1_route(
    client: TestClient, db: Engine, tiny: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(db, tiny)
    with Session(db) as s:
        credits.change_balance(s, w.bob, 10, CreditKind.admin)
        credits.change_balance(s, w.alice, 10, CreditKind.admin)
        s.commit()
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)
    body = {"model": "local-sketch", "prompt": "a fox", "size": "256x256"}

    def create(token: str, **changes: Any) -> Any:
        return client.post("/api/v1/generations", headers=bearer(token), json=body | changes)

    # Refused input does not use the allowance up: only real attempts count.
    assert_error(create(w.alice_token, model="no-such"), 400)
    assert [create(w.alice_token).status_code for _ in range(2)] == [201, 201]
    before = _jobs(db)
    assert_refused(create(w.alice_token))
    assert _jobs(db) == before  # no job, no charge
    assert create(w.bob_token).status_code == 201  # another user goes on
    like = client.put(f"/api/v1/images/{w.public}/like", headers=bearer(w.alice_token))
    assert like.status_code == 200  # the write tier is another allowance
    wait_out()
    assert create(w.alice_token).status_code == 201


def test_write_burst_through_like(client: TestClient, db: Engine, tiny: Settings) -> None:
    w = make_world(db, tiny)
    path = f"/api/v1/images/{w.public}/like"
    assert [client.put(path, headers=bearer(w.bob_token)).status_code for _ in range(2)] == [
        200,
        200,  # idempotent, but still a write request
    ]
    assert_refused(client.put(path, headers=bearer(w.bob_token)))
    assert_refused(client.delete(path, headers=bearer(w.bob_token)))  # one tier for every write
    assert client.put(path, headers=bearer(w.alice_token)).status_code == 200
    read = client.get(f"/api/v1/images/{w.public}", headers=bearer(w.bob_token))
    assert read.status_code == 200 and read.json()["viewer_has_liked"] is True
    wait_out()
    assert client.delete(path, headers=bearer(w.bob_token)).status_code == 200


def test_read_burst_of_visitors_per_network(client: TestClient) -> None:
    explore = "/api/v1/explore?q=fox"
    # The process's first read of the route is slow on a loaded machine (2.8 s once in CI, more
    # than the window): another network takes it, so the burst below fits in one window.
    assert client.get(explore, headers=via("203.0.113.9")).status_code == 200
    for _ in range(3):
        assert client.get(explore, headers=via("2001:db8::1")).status_code == 200
    assert_refused(client.get(explore, headers=via("2001:db8::1")))
    assert_refused(client.get("/api/v1/explore", headers=via("2001:db8::ffff")))  # same /64
    assert_refused(client.get("/api/v1/users/nobody/images", headers=via("2001:db8::2")))
    assert client.get(explore, headers=via("2001:db8:0:1::1")).status_code == 200
    assert client.get(explore, headers=via("198.51.100.7")).status_code == 200
    # Sign-in is another tier: a visitor out of reads can still log in.
    r = client.post(
        "/api/auth/login", json={"login": "x", "password": "y"}, headers=via("2001:db8::1")
    )
    assert r.status_code == 401
    wait_out()
    assert client.get(explore, headers=via("2001:db8::1")).status_code == 200


def test_read_burst_of_a_signed_in_user_counts_every_credential_and_address(
    client: TestClient, db: Engine, tiny: Settings
) -> None:
    w = make_world(db, tiny)
    token = bearer(w.alice_token)
    assert client.get("/api/v1/explore?q=fox", headers=via("192.0.2.1", **token)).status_code == 200
    assert client.get("/api/v1/me", headers=via("192.0.2.2", **token)).status_code == 200
    client.cookies.set(SESSION_COOKIE, w.alice_cookie)  # the same user through her cookie
    assert client.get(f"/api/v1/images/{w.private}", headers=via("192.0.2.3")).status_code == 200
    assert_refused(client.get("/api/v1/explore?q=owl", headers=via("192.0.2.4")))
    client.cookies.clear()
    assert_refused(client.get("/api/v1/me/credits", headers=via("192.0.2.5", **token)))
    # Bob, and a visitor at alice's address, go on; so do alice's writes.
    assert client.get("/api/v1/me", headers=via("192.0.2.1", **bearer(w.bob_token))).is_success
    assert client.get("/api/v1/explore", headers=via("192.0.2.1")).status_code == 200
    like = client.put(f"/api/v1/images/{w.public}/like", headers=token)
    assert like.status_code == 200
    wait_out()
    assert client.get("/api/v1/me", headers=token).status_code == 200
