"""Which browser tabs each user has open, so job events reach every one of them.

A tab registers its Reflex client token when a page that shows jobs loads. In the embedded
profile the registry is a dict in the one backend process; with REDIS_URL it is a sorted set
per user (score = last seen), shared by every backend process. Stale tabs age out.

Beside each token the registry keeps the tab's session (its `UserSession` id) and the page it
loaded last: a live push of a small value (balance, unread count) checks the sessions of all
the user's tabs in one query and sends the value straight to their sockets, without loading
any tab's state (state/live_tabs.py). A tab registered without them takes the full path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import redis

from pixel_studio.settings import get_settings

TAB_TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Tab:
    """One open tab of a user: its Reflex client token, the session it was opened with (None
    if unknown) and the path of the page it loaded last."""

    token: str
    session_id: int | None = None
    path: str = ""


class TabRegistry(Protocol):
    def register(
        self, user_id: int, client_token: str, session_id: int | None = None, path: str = ""
    ) -> None: ...
    def forget(self, user_id: int, client_token: str) -> None: ...
    def tabs_of(self, user_ids: list[int]) -> dict[int, list[Tab]]:
        """The open tabs of each of these users who has any (one round trip)."""
        ...

    def count(self) -> int: ...

    def tabs_for(self, user_id: int) -> list[Tab]:
        return self.tabs_of([user_id]).get(user_id, [])


class MemoryTabs(TabRegistry):
    def __init__(self) -> None:
        self._tabs: dict[int, dict[str, tuple[float, Tab]]] = {}
        self._lock = threading.Lock()

    def register(
        self, user_id: int, client_token: str, session_id: int | None = None, path: str = ""
    ) -> None:
        tab = Tab(client_token, session_id, path)
        with self._lock:
            self._tabs.setdefault(user_id, {})[client_token] = (time.time(), tab)

    def forget(self, user_id: int, client_token: str) -> None:
        with self._lock:
            self._tabs.get(user_id, {}).pop(client_token, None)

    def tabs_of(self, user_ids: list[int]) -> dict[int, list[Tab]]:
        cutoff = time.time() - TAB_TTL_SECONDS
        found: dict[int, list[Tab]] = {}
        with self._lock:
            for user_id in user_ids:
                tabs = self._tabs.get(user_id, {})
                for token in [t for t, (seen, _) in tabs.items() if seen < cutoff]:
                    del tabs[token]
                if tabs:
                    found[user_id] = [tab for _, tab in tabs.values()]
        return found

    def count(self) -> int:
        """Tabs registered (every user), seen within the TTL: the metrics' gauge."""
        cutoff = time.time() - TAB_TTL_SECONDS
        with self._lock:
            return sum(seen >= cutoff for tabs in self._tabs.values() for seen, _ in tabs.values())


class RedisTabs(TabRegistry):
    def __init__(self, url: str) -> None:
        self._redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=2)

    @staticmethod
    def _key(user_id: int) -> str:
        return f"pixel_studio:tabs:{user_id}"

    @staticmethod
    def _where_key(user_id: int) -> str:
        """A hash: token -> "<session id> <path>" (session id "-" when unknown)."""
        return f"pixel_studio:tabs:{user_id}:where"

    # Every registered tab of every user ("<user>:<token>", score = last seen), so the metrics'
    # count is one ZCOUNT rather than a SCAN over the per-user keys.
    ALL_KEY = "pixel_studio:tabs:all"

    def register(
        self, user_id: int, client_token: str, session_id: int | None = None, path: str = ""
    ) -> None:
        key, where = self._key(user_id), self._where_key(user_id)
        pipe = self._redis.pipeline()
        pipe.zadd(key, {client_token: time.time()})
        pipe.expire(key, TAB_TTL_SECONDS)
        pipe.hset(where, client_token, f"{session_id if session_id else '-'} {path}")
        pipe.expire(where, TAB_TTL_SECONDS)
        pipe.zadd(self.ALL_KEY, {f"{user_id}:{client_token}": time.time()})
        pipe.execute()

    def forget(self, user_id: int, client_token: str) -> None:
        pipe = self._redis.pipeline()
        pipe.zrem(self._key(user_id), client_token)
        pipe.hdel(self._where_key(user_id), client_token)
        pipe.zrem(self.ALL_KEY, f"{user_id}:{client_token}")
        pipe.execute()

    def count(self) -> int:
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(self.ALL_KEY, 0, time.time() - TAB_TTL_SECONDS)
        pipe.zcard(self.ALL_KEY)
        _, total = pipe.execute()
        return int(total)

    def tabs_of(self, user_ids: list[int]) -> dict[int, list[Tab]]:
        pipe = self._redis.pipeline(transaction=False)
        cutoff = time.time() - TAB_TTL_SECONDS
        for user_id in user_ids:
            key = self._key(user_id)
            pipe.zremrangebyscore(key, 0, cutoff)
            pipe.zrange(key, 0, -1)
            pipe.hgetall(self._where_key(user_id))
        replies = pipe.execute()
        found: dict[int, list[Tab]] = {}
        for i, user_id in enumerate(user_ids):
            tokens, where = replies[3 * i + 1], replies[3 * i + 2]
            if stale := set(where) - set(tokens):  # aged out of the sorted set above
                self._redis.hdel(self._where_key(user_id), *stale)
            if tokens:
                found[user_id] = [_tab_of(token, where.get(token)) for token in tokens]
        return found


def _tab_of(token: str, where: str | None) -> Tab:
    session, _, path = (where or "-").partition(" ")
    return Tab(token, int(session) if session.isdigit() else None, path)


@lru_cache
def get_tabs() -> TabRegistry:
    url = get_settings().redis_url
    return RedisTabs(url) if url else MemoryTabs()
