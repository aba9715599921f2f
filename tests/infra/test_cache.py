from __future__ import annotations

import uuid

import pytest

from pixel_studio.cache import Cache, MemoryCache, RedisCache


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


def test_redis_down_reads_miss_instead_of_failing() -> None:
    dead = RedisCache("redis://127.0.0.1:1/0")
    assert dead.get("anything") is None
    dead.set("anything", "x", ttl=5)  # dropped, not raised


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_cache_sweeps_expired_keys_nobody_reads_again() -> None:
    clock = FakeClock()
    cache = MemoryCache(sweep_every=60, clock=clock)
    for i in range(500):
        cache.set(f"once:{i}", "x", ttl=5)
        cache.incr(f"attempts:{i}", ttl=5)
    assert len(cache) == 1000
    clock.now += 61  # all expired, and a sweep is due at the next write
    cache.set("fresh", "y", ttl=60)
    assert len(cache) == 1 and cache.get("fresh") == "y"


def test_memory_cache_is_capped_and_keeps_the_longest_lived_keys() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_entries=100, clock=clock)
    cache.incr("login:203.0.113.9", ttl=900)
    cache.incr("login:203.0.113.9", ttl=900)
    for i in range(5000):  # a flood of one-off keys, each short-lived
        cache.set(f"flood:{i}", "x", ttl=60)
        clock.now += 0.001
    assert len(cache) <= 100
    assert cache.incr("login:203.0.113.9", ttl=900)[0] == 3  # the counter was not pushed out
    assert cache.get("flood:4999") == "x"  # the newest write is kept
    with pytest.raises(ValueError):
        MemoryCache(max_entries=0)
