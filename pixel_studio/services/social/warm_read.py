"""A warm public read in one Redis round trip (issue 15, part 7).

A visitor's cached explore page or image page needs three things from Redis: the read tier's
count (services/rate_limits: a moving-window script), the versions of the cached entry's
scopes and then the entry itself (services/cached.key_for, cache.get). Done one after the
other that is three round trips for what the floor does in one GET. Here the rate-limit script
and a small script that reads the versions and the entry under the key they make are sent in
one pipeline: the same commands, the same keys, one round trip.

Anything unusual takes the ordinary path, which already handles it part by part: an
in-process cache or limiter (the embedded profile), limits switched off (`exempt`), the
limiter failing open after an outage, a Redis error here, or a refused read (the ordinary
count then raises RateLimited with its Retry-After, without counting the read twice: a
moving window that refused has not recorded it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from limits.errors import StorageError
from limits.storage import RedisStorage
from redis.exceptions import NoScriptError, RedisError

from pixel_studio.cache import Cache, RedisCache
from pixel_studio.services import cached, rate_limits
from pixel_studio.settings import Settings

# KEYS: the scopes' version keys; ARGV[1]: "ps:c:<name>", ARGV[2..]: the scope names. Builds
# the key exactly as cached.key_for does ("<scope>=<version or 0>", comma-joined).
VERSIONED_GET = """
local parts = {}
for i, version_key in ipairs(KEYS) do
  local version = redis.call('GET', version_key)
  if not version or version == '' then version = '0' end
  parts[i] = ARGV[i + 1] .. '=' .. version
end
local key = ARGV[1] .. '|' .. table.concat(parts, ',')
return {key, redis.call('GET', key) or false}
"""


def counted_lookup(
    cache: Cache,
    settings: Settings,
    user_id: int | None,
    ip: str,
    name: str,
    scopes: Sequence[str],
) -> tuple[str, str | None]:
    """Count one read of the read tier (RateLimited once over), then the cache key of `name`
    under `scopes` and the entry stored there (None on a miss)."""
    if isinstance(cache, RedisCache):
        limiter = rate_limits.limiter_for(cache)
        if rate_limits.limits_apply(limiter) and isinstance(limiter.storage, RedisStorage):
            try:
                trip = _one_trip(cache, limiter.storage, settings, user_id, ip, name, scopes)
            except (RedisError, StorageError):
                pass  # the ordinary path below fails open part by part
            else:
                acquired, key, body = trip
                if acquired:
                    return key, body
    rate_limits.hit_read(cache, user_id, ip, settings)
    key = cached.key_for(cache, name, scopes)
    return key, cache.get(key)


def _one_trip(
    cache: RedisCache,
    storage: RedisStorage,
    settings: Settings,
    user_id: int | None,
    ip: str,
    name: str,
    scopes: Sequence[str],
) -> tuple[bool, str, str | None]:
    item = rate_limits.tier_limits(settings)[rate_limits.READ]
    # What MovingWindowRateLimiter.hit -> RedisStorage.acquire_entry sends, by hand.
    limit_key = storage.prefixed_key(
        item.key_for(f"{rate_limits.READ}:{rate_limits.reader_key(user_id, ip)}")
    )
    acquire = storage.lua_acquire_moving_window
    versioned = cache.script(VERSIONED_GET)
    version_keys = [cached.version_key(s) for s in scopes]

    def send() -> list[object]:
        # EVALSHA on a plain pipeline: redis-py's Script objects would add a SCRIPT EXISTS
        # round trip to every pipeline; a missing script is loaded once, below.
        pipe = cache.pipeline()
        pipe.evalsha(acquire.sha, 1, limit_key, time.time(), item.amount, item.get_expiry(), 1)
        pipe.evalsha(versioned.sha, len(version_keys), *version_keys, f"ps:c:{name}", *scopes)
        return list(pipe.execute())

    try:
        acquired, found = send()
    except NoScriptError:  # a fresh or flushed Redis: load both, once, and send again
        cache.load_script(str(acquire.script))
        cache.load_script(VERSIONED_GET)
        acquired, found = send()
    key, body = found if isinstance(found, list) else (None, None)
    if not isinstance(key, str):
        raise RedisError(f"unexpected reply to the versioned read: {found!r}")
    return bool(acquired), key, body if isinstance(body, str) else None
