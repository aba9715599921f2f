"""Cache-aside for read models, invalidated by versions in the key (DESIGN.md, Caching).

A cached value is stored under a key that embeds the current version of every scope it depends
on (`image:12`, `user:3`, `public-images`, ...). A mutation that changes what a scope shows
bumps that scope's version after its commit, so the next read builds a new key and misses:
no KEYS/SCAN deletes, and an old entry simply ages out with its TTL.

Why it is safe against races: a reader that loaded old rows before a writer committed stores
them under the old version, which no reader asks for once the writer has bumped.

With the cache unreachable (Redis down), version reads miss, bumps are dropped and every read
goes to the database: nothing fails, entries written before the outage live at most their TTL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from pixel_studio import metrics
from pixel_studio.cache import Cache

log = logging.getLogger(__name__)

T = TypeVar("T")

# Far longer than any value's TTL, so a version that expires cannot bring back an old entry.
VERSION_TTL = 7 * 24 * 3600
PUBLIC_IMAGES = "public-images"  # any change to a public image: explore, search, feeds


def image_scope(image_id: int) -> str:
    return f"image:{image_id}"


def user_scope(user_id: int) -> str:
    """A profile: username, avatar, counts."""
    return f"user:{user_id}"


def follows_scope(user_id: int) -> str:
    """Whom this user follows: their feed."""
    return f"follows:{user_id}"


def likes_scope(user_id: int) -> str:
    """The images this user liked."""
    return f"likes:{user_id}"


def _version_key(scope: str) -> str:
    return f"ps:ver:{scope}"


version_key = _version_key  # for services/social/warm_read.py, which reads the versions in Lua


def bump(cache: Cache, *scopes: str) -> None:
    """Call after the commit of a mutation that changes what these scopes show."""
    for scope in scopes:
        try:
            cache.incr(_version_key(scope), VERSION_TTL)
        except Exception:  # a dead cache must never fail the write that already committed
            log.warning("cache unreachable: version of %s not bumped", scope, exc_info=True)


def key_for(cache: Cache, name: str, scopes: Sequence[str]) -> str:
    versions = ",".join(f"{s}={cache.get(_version_key(s)) or 0}" for s in scopes)
    return f"ps:c:{name}|{versions}"


def get_or_load(
    cache: Cache,
    name: str,
    scopes: Sequence[str],
    ttl: int,
    load: Callable[[], T],
    adapter: TypeAdapter[T],
) -> T:
    """The value named `name` (which must include every argument of `load`), from the cache
    when its scopes have not changed since it was stored, else from `load()`."""
    key = key_for(cache, name, scopes)
    raw = cache.get(key)
    if raw is not None:
        try:
            value = adapter.validate_json(raw)
            metrics.count_cache(hit=True)
            return value
        except ValidationError:  # written by an older release: reload
            log.info("cache entry %s no longer parses; reloading", key)
    metrics.count_cache(hit=False)
    value = load()
    cache.set(key, adapter.dump_json(value).decode(), ttl)
    return value
