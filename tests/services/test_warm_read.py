"""The warm read in one Redis round trip (services/social/warm_read.py) against a real Redis: the
same count, key and entry as the ordinary path (rate_limits.hit_read, cached.key_for, cache.get),
sharing the read tier's window with it, refusing past the limit, and loading its scripts itself
on a Redis that does not have them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pixel_studio.cache import RedisCache
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.errors import RateLimited
from pixel_studio.services.social import warm_read
from pixel_studio.settings import Settings
from tests.redis_fixtures import claimed_redis_db


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with claimed_redis_db() as url:
        yield url


@pytest.fixture
def cache(redis_url: str) -> RedisCache:
    return RedisCache(redis_url)


def settings_with(tmp_path: Path, limit: str) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, secret_key="t", rate_limit_read=limit)  # type: ignore[call-arg]


def refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the ordinary path was taken")


def test_one_trip_gives_the_ordinary_key_and_entry(
    cache: RedisCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with(tmp_path, "100/minute")
    name, scopes = f"probe:{uuid.uuid4().hex}", ["scope-a", f"scope-{uuid.uuid4().hex}"]
    cached.bump(cache, "scope-a")
    expected = cached.key_for(cache, name, scopes)
    cache.set(expected, "the body", 60)
    with monkeypatch.context() as mp:  # neither the ordinary count nor the ordinary reads
        mp.setattr(rate_limits, "hit_read", refuse)
        mp.setattr(cache, "get", refuse)
        assert warm_read.counted_lookup(cache, settings, None, "203.0.113.7", name, scopes) == (
            expected,
            "the body",
        )
        cached.bump(cache, scopes[1])  # the entry is stale now: a new key, a miss
        key, body = warm_read.counted_lookup(cache, settings, 5, "203.0.113.7", name, scopes)
    assert key == cached.key_for(cache, name, scopes) != expected and body is None


def test_it_shares_the_read_window_and_refuses_past_it(cache: RedisCache, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, "3/minute")
    ip = f"198.51.100.{uuid.uuid4().int % 250}"
    rate_limits.hit_read(cache, None, ip, settings)  # the ordinary path counts in the same window
    for _ in range(2):
        warm_read.counted_lookup(cache, settings, None, ip, "n", ["s"])
    with pytest.raises(RateLimited) as refused:
        warm_read.counted_lookup(cache, settings, None, ip, "n", ["s"])
    assert refused.value.retry_after > 0
    with pytest.raises(RateLimited):  # a refusal was not counted as a read
        rate_limits.hit_read(cache, None, ip, settings)
    # Another reader has a window of its own.
    warm_read.counted_lookup(cache, settings, None, "192.0.2.1", "n", ["s"])


def test_a_redis_without_the_scripts_gets_them(
    cache: RedisCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A script text this server has never seen stands for a fresh or flushed Redis.
    fresh = warm_read.VERSIONED_GET + f"-- {uuid.uuid4().hex}\n"
    monkeypatch.setattr(warm_read, "VERSIONED_GET", fresh)
    monkeypatch.setattr(rate_limits, "hit_read", refuse)
    settings = settings_with(tmp_path, "100/minute")
    key, body = warm_read.counted_lookup(cache, settings, None, "203.0.113.9", "n", ["s"])
    assert key == cached.key_for(cache, "n", ["s"]) and body is None


def test_exempt_work_and_an_outage_take_the_ordinary_path(
    cache: RedisCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_with(tmp_path, "1/minute")
    ip = "203.0.113.77"
    with rate_limits.exempt():
        for _ in range(3):
            warm_read.counted_lookup(cache, settings, None, ip, "n", ["s"])
    # Redis gone: the ordinary path fails open, as every read of the app does.
    down = RedisCache("redis://127.0.0.1:1/0")
    key, body = warm_read.counted_lookup(down, settings, None, ip, "n", ["s"])
    assert key.startswith("ps:c:n|") and body is None
