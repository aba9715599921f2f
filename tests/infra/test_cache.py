from __future__ import annotations

import uuid

import pytest

from pixel_studio.cache import Cache, MemoryCache, RedisCache
from pixel_studio.services import rate_limits
from pixel_studio.services.errors import RateLimited


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Cache:
    return MemoryCache() if request.param == "memory" else RedisCache("redis://127.0.0.1:6379/14")


def test_get_set_delete(cache: Cache) -> None:
    key = f"t:{uuid.uuid4().hex}"
    assert cache.get(key) is None
    cache.set(key, "v", ttl=60)
    assert cache.get(key) == "v"
    cache.delete(key)
    assert cache.get(key) is None


def test_counter_window(cache: Cache) -> None:
    key = f"t:{uuid.uuid4().hex}"
    assert cache.incr(key, ttl=60)[0] == 1
    count, retry = cache.incr(key, ttl=60)
    assert count == 2 and 0 < retry <= 60


def test_rate_limit_raises_with_retry_after(cache: Cache) -> None:
    bucket = uuid.uuid4().hex
    for _ in range(3):
        rate_limits.hit(cache, bucket, 3, 60, "Slow down.")
    with pytest.raises(RateLimited) as err:
        rate_limits.hit(cache, bucket, 3, 60, "Slow down.")
    assert err.value.message.startswith("Slow down.") and 0 < err.value.retry_after <= 60
    rate_limits.reset(cache, bucket)
    rate_limits.hit(cache, bucket, 3, 60, "Slow down.")


def test_redis_down_reads_miss_instead_of_failing() -> None:
    dead = RedisCache("redis://127.0.0.1:1/0")
    assert dead.get("anything") is None
    dead.set("anything", "x", ttl=5)  # dropped, not raised
