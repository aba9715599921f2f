"""Google sign-ups count against the per-network sign-up limit, in the same allowance as
password sign-ups (issue 13, item 8); authlib against a real OpenID provider on loopback, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_provider_mock import run_server_in_thread
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.cache import get_cache as process_cache
from pixel_studio.models import User
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings, get_settings

SAME = {"sec-fetch-site": "same-origin"}
# Each test its own documentation-range address: counts in the process-wide limiter (the
# callback uses services/rate_limits.get_limiter) never mix with another test's.
_addresses = iter(f"198.51.100.{n}" for n in range(1, 250))


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(port=0, require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def site(settings: Settings, provider: str) -> Settings:
    return settings.model_copy(
        update={
            "google_client_id": "pixel-studio",
            "google_client_secret": "s3cret",
            "google_discovery_url": f"{provider}/.well-known/openid-configuration",
            "site_url": "http://testserver",
            "signups_per_window": 3,
        }
    )


@pytest.fixture
def address() -> str:
    return next(_addresses)


@pytest.fixture
def client(db: Engine, site: Settings, address: str) -> Iterator[TestClient]:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s
            s.commit()

    api = create_api()
    api.dependency_overrides[get_settings] = lambda: site
    api.dependency_overrides[db_session] = session_override
    cache = MemoryCache()  # the password sign-up route's limiter: not the process-wide one
    api.dependency_overrides[get_cache] = lambda: cache
    with TestClient(api, follow_redirects=False, client=(address, 40000)) as c:
        yield c


def google_sign_in(client: TestClient, provider: str, sub: str) -> httpx.Response:
    # The OIDC peer is plain http on loopback: verify=False only spares each call httpx's
    # default SSL context, which loads the CA bundle anew (~30-70 ms of CPU a call).
    httpx.put(
        f"{provider}/users/{sub}",
        json={"email": f"{sub}@example.com", "email_verified": True, "name": sub},
        verify=False,
    ).raise_for_status()
    client.cookies.clear()  # each sign-up is a new person on the same network
    begun = client.get("/auth/google/login", headers=SAME)
    location = begun.headers["location"]
    assert parse_qs(urlsplit(location).query)["state"]
    approved = httpx.post(location, data={"sub": sub}, verify=False)
    callback = urlsplit(approved.headers["location"])
    return client.get(f"{callback.path}?{callback.query}")


def accounts(db: Engine) -> int:
    with Session(db) as s:
        return int(s.exec(select(func.count()).select_from(User)).one())


def test_google_sign_ups_stop_at_the_limit(client: TestClient, provider: str, db: Engine) -> None:
    for n in range(3):
        done = google_sign_in(client, provider, f"glimit{n}")
        assert done.status_code == 303 and done.headers["location"] == "/home", n
        assert done.cookies.get(SESSION_COOKIE)
    assert accounts(db) == 3
    refused = google_sign_in(client, provider, "glimit3")
    assert refused.status_code == 303 and not refused.cookies.get(SESSION_COOKIE)
    assert "Too many sign-ups from your network" in unquote(refused.headers["location"])
    assert accounts(db) == 3  # nothing was created, no free credits handed out
    # Signing in again with an account that exists is not a sign-up: never limited.
    again = google_sign_in(client, provider, "glimit0")
    assert again.status_code == 303 and again.headers["location"] == "/home"


def test_one_allowance_for_password_and_google_sign_ups(
    client: TestClient, provider: str, db: Engine, site: Settings, address: str
) -> None:
    # Two password sign-ups from this network, through the process-wide limiter ...
    with Session(db) as s:
        for n in range(2):
            email = f"pw{n}@example.com"
            auth.sign_up(s, process_cache(), site, f"pw{n}", email, "longenough", address)
            s.commit()
    # ... leave one for Google; the next one is refused.
    assert google_sign_in(client, provider, "gmixed0").headers["location"] == "/home"
    refused = google_sign_in(client, provider, "gmixed1")
    assert "Too many sign-ups" in unquote(refused.headers["location"])
    assert accounts(db) == 3
