"""The explore and image routes over a real Redis cache, on SQLite and PostgreSQL: the first read
fills the cache, the next is served from it (services/social/warm_read.py), and the read tier
still refuses past its limit with 429 + Retry-After. A visitor's warm read is answered before
routing (api/visitor_reads.py): the route's own bytes and headers, each read counted once (a
miss too), the refusal left to the route, and anything the lane cannot be sure of left to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine

from pixel_studio.api import create_api, discovery
from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.cache import RedisCache
from pixel_studio.db import session_scope
from pixel_studio.settings import Settings, get_settings
from tests.api.test_discovery import world
from tests.redis_fixtures import claimed_redis_db


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with claimed_redis_db() as url:
        yield url


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the entries the routes themselves looked up."""
    seen: list[str] = []
    real = discovery.counted_read

    def spy(*args: Any) -> tuple[str, str | None]:
        seen.append(args[4])
        return real(*args)

    monkeypatch.setattr(discovery, "counted_read", spy)
    return seen


def client_for(
    db: Engine, tmp_path: Path, redis_url: str, read_limit: str
) -> tuple[TestClient, Settings]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, secret_key="test-secret", rate_limit_read=read_limit
    )
    cache = RedisCache(redis_url)
    cache._redis.flushdb()  # a fresh window and no entries from the other database's run
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[discovery.explore_deps] = lambda: (
        settings,
        cache,
        lambda: session_scope(db),
    )
    return TestClient(api, raise_server_exceptions=False), settings


def served(route: str, status: str = "200") -> float:
    labels = {"method": "GET", "route": route, "status": status}
    return REGISTRY.get_sample_value("pixel_studio_http_requests_total", labels) or 0.0


def test_a_warm_visitor_read_is_the_routes_answer_without_the_router(
    db: Engine, tmp_path: Path, redis_url: str, routed: list[str]
) -> None:
    client, settings = client_for(db, tmp_path, redis_url, "50/minute")
    public, _private, _o, _x = world(db, settings)
    for path, template in [
        ("/api/v1/explore?q=fox&limit=12", "/api/v1/explore"),
        (f"/api/v1/images/{public}", "/api/v1/images/{image_id}"),
    ]:
        before = served(template)
        first = client.get(path)  # a miss: the route fills the cache
        assert first.status_code == 200 and len(routed) == 1
        warm = client.get(path)
        assert len(routed) == 1, "the warm read did not reach the route"
        assert warm.content == first.content
        for header in ("content-type", "content-length", "cache-control"):
            assert warm.headers.get(header) == first.headers.get(header), header
        assert warm.headers["x-request-id"] != first.headers["x-request-id"]
        # Counted and logged under the route's template, never the raw path.
        assert served(template) == before + 2
        routed.clear()
    assert client.get(f"/api/v1/images/{public}").headers["cache-control"] == "private, no-store"


def test_every_read_counts_once_and_the_route_refuses_past_the_limit(
    db: Engine, tmp_path: Path, redis_url: str, routed: list[str]
) -> None:
    client, settings = client_for(db, tmp_path, redis_url, "3/minute")
    public, _private, _o, _x = world(db, settings)
    assert client.get(f"/api/v1/images/{public}").status_code == 200  # miss: counted once
    assert client.get(f"/api/v1/images/{public}").status_code == 200
    assert client.get("/api/v1/explore").status_code == 200  # a miss on another entry
    refused = client.get(f"/api/v1/images/{public}")  # the fourth read in the window
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert served("/api/v1/images/{image_id}", "429") >= 1


def test_what_only_the_route_can_answer_goes_on_to_it(
    db: Engine, tmp_path: Path, redis_url: str, routed: list[str]
) -> None:
    client, settings = client_for(db, tmp_path, redis_url, "100/minute")
    public, private, owner_token, _x = world(db, settings)
    assert client.get("/api/v1/explore").status_code == 200
    assert client.get(f"/api/v1/images/{public}").status_code == 200  # both entries now warm
    routed.clear()
    # A credential decides whose read tier counts (and, on an image, what the page says).
    client.cookies.set(SESSION_COOKIE, owner_token)
    assert client.get("/api/v1/explore").status_code == 200
    mine = client.get(f"/api/v1/images/{private}")
    assert mine.status_code == 200 and mine.json()["is_owner"] is True
    client.cookies.clear()
    assert client.get("/api/v1/explore", headers={"Authorization": "Bearer x"}).status_code == 200
    assert len(routed) == 2  # the cookie's explore and the bearer's (the owner's image: above)
    routed.clear()
    # Queries the lane does not read as the route would: an unknown key, a repeated one.
    assert client.get("/api/v1/explore?utm_source=x").status_code == 200
    assert client.get("/api/v1/explore?q=fox&q=owl").status_code == 200
    assert len(routed) == 2
    # Refused input and ids the route itself judges: the API's own error shape.
    bad = client.get("/api/v1/explore?limit=0")
    assert bad.status_code in (400, 422) and bad.json()["error"]["field"]
    assert client.get(f"/api/v1/images/0{public}").status_code == 200  # the route parses it
    assert client.get("/api/v1/images/2147483648").status_code in (404, 422)
    # A visitor never gets a private image, from the lane or the route.
    assert client.get(f"/api/v1/images/{private}").status_code == 404
    assert client.get(f"/api/v1/images/{private}").status_code == 404


def test_warm_reads_over_redis_and_the_read_limit(
    db: Engine, tmp_path: Path, redis_url: str
) -> None:
    client, settings = client_for(db, tmp_path, redis_url, "4/minute")
    cache = RedisCache(redis_url)
    public, _private, _o, _x = world(db, settings)
    first = client.get("/api/v1/explore")
    assert first.status_code == 200 and [c["id"] for c in first.json()["items"]] == [public]
    (entry,) = [k for k in cache._redis.scan_iter("ps:c:api-explore:*")]
    cache.set(entry, first.text.replace('"owner"', '"from-the-cache"'), 60)
    assert b'"from-the-cache"' in client.get("/api/v1/explore").content  # served from Redis
    detail = client.get(f"/api/v1/images/{public}")
    assert detail.status_code == 200 and detail.json()["image"]["id"] == public
    assert client.get(f"/api/v1/images/{public}").content == detail.content
    refused = client.get("/api/v1/explore")  # the fifth read in the window
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
