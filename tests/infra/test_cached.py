from __future__ import annotations

import uuid

import pytest
from pydantic import TypeAdapter

from pixel_studio.cache import Cache, MemoryCache, RedisCache
from pixel_studio.services import cached

INTS = TypeAdapter(list[int])


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest) -> Cache:
    return MemoryCache() if request.param == "memory" else RedisCache("redis://127.0.0.1:6379/14")


def test_hit_until_a_scope_is_bumped(cache: Cache) -> None:
    scope = f"image:{uuid.uuid4().hex}"
    rows = [1, 2]
    loads: list[int] = []

    def load() -> list[int]:
        loads.append(1)
        return list(rows)

    assert cached.get_or_load(cache, "t", [scope], 60, load, INTS) == [1, 2]
    rows.append(3)
    assert cached.get_or_load(cache, "t", [scope], 60, load, INTS) == [1, 2]  # cached
    cached.bump(cache, scope)
    assert cached.get_or_load(cache, "t", [scope], 60, load, INTS) == [1, 2, 3]
    assert len(loads) == 2


def test_other_scopes_keep_their_entries(cache: Cache) -> None:
    a, b = f"a:{uuid.uuid4().hex}", f"b:{uuid.uuid4().hex}"
    cached.get_or_load(cache, "x", [a], 60, lambda: [1], INTS)
    cached.bump(cache, b)
    assert cached.get_or_load(cache, "x", [a], 60, lambda: [2], INTS) == [1]


def test_dead_redis_reads_through_and_bumps_quietly() -> None:
    dead = RedisCache("redis://127.0.0.1:1/0")
    cached.bump(dead, "image:1")
    assert cached.get_or_load(dead, "t", ["image:1"], 60, lambda: [7], INTS) == [7]
