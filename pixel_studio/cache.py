"""Cache and counters: in-process TTL store by default, Redis when REDIS_URL is set.

Callers never need to know which: both implement the same four calls. If Redis is down,
reads miss and writes are dropped, so the database stays the source of truth.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import redis
from redis.client import Pipeline
from redis.commands.core import Script

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
    """A TTL store for one process, bounded: expired keys are swept every `sweep_every`
    seconds on a write (not only when read again, or every key ever seen would stay), and past
    `max_entries` the keys closest to expiry go first, so a flood of one-off keys (login
    attempts for random emails) cannot grow it without bound nor push out a long counter."""

    def __init__(
        self,
        max_entries: int = 10_000,
        sweep_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._max = max_entries
        self._sweep_every = sweep_every
        self._clock = clock
        self._next_sweep = clock() + sweep_every

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def _live(self, key: str, now: float) -> tuple[str, float] | None:
        item = self._data.get(key)
        if item is None or item[1] <= now:
            self._data.pop(key, None)
            return None
        return item

    def _put(self, key: str, value: str, expires: float, now: float) -> None:
        if now >= self._next_sweep:
            self._sweep(now)
        if key not in self._data and len(self._data) >= self._max:
            self._sweep(now)
            if len(self._data) >= self._max:
                # Still full of live keys: drop the tenth closest to expiry (one sort per
                # tenth of the capacity, not one per write).
                drop = max(1, self._max // 10)
                for old in sorted(self._data, key=lambda k: self._data[k][1])[:drop]:
                    del self._data[old]
        self._data[key] = (value, expires)

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._data.items() if expires <= now]:
            del self._data[key]
        self._next_sweep = now + self._sweep_every

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._live(key, self._clock())
            return item[0] if item else None

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            now = self._clock()
            self._put(key, value, now + ttl, now)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: int) -> tuple[int, int]:
        with self._lock:
            now = self._clock()
            item = self._live(key, now)
            count, expires = (int(item[0]) + 1, item[1]) if item else (1, now + ttl)
            self._put(key, str(count), expires, now)
            return count, max(1, int(expires - now))


class RedisCache:
    def __init__(self, url: str) -> None:
        self.url = url  # the rate limiter keeps its windows on the same server
        self._redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2
        )
        self._scripts: dict[str, Script] = {}

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

    def pipeline(self) -> Pipeline:
        """A non-transactional pipeline on this cache's server (services/social/warm_read.py)."""
        return self._redis.pipeline(transaction=False)

    def script(self, text: str) -> Script:
        """A Lua script's handle (its sha); registered once per cache."""
        script = self._scripts.get(text)
        if script is None:
            script = self._scripts[text] = self._redis.register_script(text)
        return script

    def load_script(self, text: str) -> None:
        self._redis.script_load(text)

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
