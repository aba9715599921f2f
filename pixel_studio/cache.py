"""Cache and counters: in-process TTL store by default, Redis when REDIS_URL is set.

Callers never need to know which: both implement the same four calls. If Redis is down,
reads miss and writes are dropped, so the database stays the source of truth.
"""

from __future__ import annotations

import contextlib
import threading
import time
from functools import lru_cache
from typing import Protocol

import redis

from pixel_studio.settings import get_settings


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def incr(self, key: str, ttl: int) -> tuple[int, int]:
        """Add one to a counter that lives `ttl` seconds from its first hit.

        Returns (count, seconds until it resets)."""
        ...


class MemoryCache:
    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[str, float] | None:
        item = self._data.get(key)
        if item is None or item[1] <= now:
            self._data.pop(key, None)
            return None
        return item

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._live(key, time.monotonic())
            return item[0] if item else None

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: int) -> tuple[int, int]:
        with self._lock:
            now = time.monotonic()
            item = self._live(key, now)
            count, expires = (int(item[0]) + 1, item[1]) if item else (1, now + ttl)
            self._data[key] = (str(count), expires)
            return count, max(1, int(expires - now))


class RedisCache:
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2
        )

    def get(self, key: str) -> str | None:
        try:
            value = self._redis.get(key)
        except redis.RedisError:
            return None
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str, ttl: int) -> None:
        with contextlib.suppress(redis.RedisError):
            self._redis.set(key, value, ex=ttl)

    def delete(self, key: str) -> None:
        with contextlib.suppress(redis.RedisError):
            self._redis.delete(key)

    def incr(self, key: str, ttl: int) -> tuple[int, int]:
        pipe = self._redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl, nx=True)
        pipe.ttl(key)
        count, _, remaining = pipe.execute()
        return int(count), max(1, int(remaining))


@lru_cache
def get_cache() -> Cache:
    url = get_settings().redis_url
    return RedisCache(url) if url else MemoryCache()
