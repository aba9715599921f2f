"""Which browser tabs each user has open, so job events reach every one of them.

A tab registers its Reflex client token when a page that shows jobs loads. In the embedded
profile the registry is a dict in the one backend process; with REDIS_URL it is a sorted set
per user (score = last seen), shared by every backend process. Stale tabs age out.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Protocol

import redis

from pixel_studio.settings import get_settings

TAB_TTL_SECONDS = 24 * 3600


class TabRegistry(Protocol):
    def register(self, user_id: int, client_token: str) -> None: ...
    def forget(self, user_id: int, client_token: str) -> None: ...
    def tokens_for(self, user_id: int) -> list[str]: ...
    def count(self) -> int: ...


class MemoryTabs:
    def __init__(self) -> None:
        self._tabs: dict[int, dict[str, float]] = {}
        self._lock = threading.Lock()

    def register(self, user_id: int, client_token: str) -> None:
        with self._lock:
            self._tabs.setdefault(user_id, {})[client_token] = time.time()

    def forget(self, user_id: int, client_token: str) -> None:
        with self._lock:
            self._tabs.get(user_id, {}).pop(client_token, None)

    def tokens_for(self, user_id: int) -> list[str]:
        cutoff = time.time() - TAB_TTL_SECONDS
        with self._lock:
            tabs = self._tabs.get(user_id, {})
            for token in [t for t, seen in tabs.items() if seen < cutoff]:
                del tabs[token]
            return list(tabs)

    def count(self) -> int:
        """Tabs registered (every user), seen within the TTL: the metrics' gauge."""
        cutoff = time.time() - TAB_TTL_SECONDS
        with self._lock:
            return sum(seen >= cutoff for tabs in self._tabs.values() for seen in tabs.values())


class RedisTabs:
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2)

    @staticmethod
    def _key(user_id: int) -> str:
        return f"pixel_studio:tabs:{user_id}"

    # Every registered tab of every user ("<user>:<token>", score = last seen), so the metrics'
    # count is one ZCOUNT rather than a SCAN over the per-user keys.
    ALL_KEY = "pixel_studio:tabs:all"

    def register(self, user_id: int, client_token: str) -> None:
        key = self._key(user_id)
        pipe = self._redis.pipeline()
        pipe.zadd(key, {client_token: time.time()})
        pipe.expire(key, TAB_TTL_SECONDS)
        pipe.zadd(self.ALL_KEY, {f"{user_id}:{client_token}": time.time()})
        pipe.execute()

    def forget(self, user_id: int, client_token: str) -> None:
        pipe = self._redis.pipeline()
        pipe.zrem(self._key(user_id), client_token)
        pipe.zrem(self.ALL_KEY, f"{user_id}:{client_token}")
        pipe.execute()

    def count(self) -> int:
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(self.ALL_KEY, 0, time.time() - TAB_TTL_SECONDS)
        pipe.zcard(self.ALL_KEY)
        _, total = pipe.execute()
        return int(total)

    def tokens_for(self, user_id: int) -> list[str]:
        key = self._key(user_id)
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, 0, time.time() - TAB_TTL_SECONDS)
        pipe.zrange(key, 0, -1)
        _, tokens = pipe.execute()
        return list(tokens)


@lru_cache
def get_tabs() -> TabRegistry:
    url = get_settings().redis_url
    return RedisTabs(url) if url else MemoryTabs()
