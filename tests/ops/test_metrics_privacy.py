"""/metrics is not a privacy problem: nothing a person sent (a username, an email, an id, a
token, a cookie, a search) reaches it, and without METRICS_TOKEN a public address is not
answered, even through the trusted proxy; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from pixel_studio.cache import MemoryCache
from pixel_studio.settings import Settings
from tests.api.rest_helpers import api_client, bearer, make_world

PROXIED = {"trusted_proxy_hops": 1}


@pytest.fixture
def proxied(settings: Settings) -> Settings:
    return settings.model_copy(update=PROXIED)


@pytest.fixture
def client(db: Engine, proxied: Settings) -> Iterator[TestClient]:
    with api_client(db, proxied, MemoryCache()) as c:
        yield c


def test_nothing_personal_reaches_the_metrics(
    client: TestClient, db: Engine, proxied: Settings
) -> None:
    w = make_world(db, proxied)
    secrets = [
        "alice",
        "a@example.com",
        "longenough",
        w.alice_token,
        w.alice_cookie,
        "zebra-crossing-77",
        "3f9a1c2b7d",
        str(10_000 + w.private),
    ]
    h = bearer(w.alice_token)
    client.get("/api/v1/users/alice/images", headers=h)
    client.get("/api/v1/explore", params={"q": "zebra-crossing-77"})
    client.get(f"/api/v1/images/{10_000 + w.private}", headers=h)
    client.get("/api/v1/generations/3f9a1c2b7d", headers=h)
    client.post("/api/auth/login", json={"login": "a@example.com", "password": "longenough"})
    client.cookies.set("ps_session", w.alice_cookie)
    client.get("/u/alice?tab=collections", headers={"X-Request-ID": "zebra-crossing-77"})
    client.cookies.clear()
    r = client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
    assert r.status_code == 200 and "pixel_studio_http_requests_total" in r.text
    assert r.headers["cache-control"] == "no-store"
    # Sample values are numbers: a duration may hold an id's digits by chance ("0.0100357").
    # Personal data could only travel in names and labels, so that is what is searched.
    named = "\n".join(line.rsplit(" ", 1)[0] for line in r.text.splitlines() if line)
    for secret in secrets:
        assert secret not in named, secret


@pytest.mark.parametrize("ip", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.4.4"])
def test_a_public_address_is_not_answered_without_a_token(client: TestClient, ip: str) -> None:
    r = client.get("/metrics", headers={"X-Forwarded-For": ip})
    assert r.status_code == 404 and "pixel_studio" not in r.text


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.0.0.7", "192.168.1.20", "fd00::5", "::1"])
def test_this_machine_and_private_networks_are_answered(client: TestClient, ip: str) -> None:
    r = client.get("/metrics", headers={"X-Forwarded-For": ip})
    assert r.status_code == 200 and "pixel_studio_jobs_total" in r.text


def test_with_a_token_any_address_may_scrape(db: Engine, proxied: Settings) -> None:
    tokened = proxied.model_copy(update={"metrics_token": "s3cret"})
    with api_client(db, tokened, MemoryCache()) as c:
        public = {"X-Forwarded-For": "8.8.8.8"}
        assert c.get("/metrics", headers=public).status_code == 401
        ok = c.get("/metrics", headers={**public, "Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and "pixel_studio_jobs_total" in ok.text
