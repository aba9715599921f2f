"""The explore and image routes over a Redis cache (services/social/warm_read.py on the request
path), on SQLite and PostgreSQL: the first read fills the cache, the next is served from it, and the
read tier still refuses past its limit with 429 + Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from pixel_studio.api import create_api, discovery
from pixel_studio.cache import RedisCache
from pixel_studio.db import session_scope
from pixel_studio.settings import Settings, get_settings
from tests.api.test_discovery import world
from tests.redis_fixtures import claimed_redis_db


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with claimed_redis_db() as url:
        yield url


def test_warm_reads_over_redis_and_the_read_limit(
    db: Engine, tmp_path: Path, redis_url: str
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, secret_key="test-secret", rate_limit_read="4/minute"
    )
    cache = RedisCache(redis_url)
    cache._redis.flushdb()  # a fresh window and no entries from the other database's run
    public, _private, _o, _x = world(db, settings)
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[discovery.explore_deps] = lambda: (
        settings,
        cache,
        lambda: session_scope(db),
    )
    client = TestClient(api)
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
