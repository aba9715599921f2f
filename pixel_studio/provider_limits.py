"""Provider limits at the workers: per model, how many calls may be in flight and how many may
start in any one second, across every worker; and a shared "not before" after a 429.

PROVIDER_LIMITS (settings.ProviderLimit) names the limited models. A worker takes a turn
(`ProviderLimits.turn`) around each provider call: it waits while the model is at its
concurrency or its rate, or while any worker's 429 asked to wait (`slow_down`, fed by the
provider's Retry-After), so one worker's refusal slows every worker for that model. The "not
before" applies to every model, listed or not.

Two stores, one algorithm, chosen by settings like every other part:
- REDIS_URL set (production): one Lua script per attempt, atomic on the server and timed by the
  server's clock (workers on several machines agree). A slot is a sorted-set member scored by
  its expiry, so a crashed worker's slot frees itself after the provider timeout plus a margin.
- no REDIS_URL (embedded profile): the same state in process, under a lock.

Why not the `limits` library the app uses for request tiers: it has rate windows but no
concurrency slot with expiry nor a shared "not before", and taking one turn would then be
three round trips that are not atomic together. The script below is the whole algorithm.

A Redis outage lets calls through (and logs it), as the request rate limits do: the provider's
own 429 and the worker's backoff still protect the job.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, cast
from uuid import uuid4

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from pixel_studio.catalog import UnknownModelError, get_model
from pixel_studio.settings import ProviderLimit, Settings

log = logging.getLogger(__name__)

WINDOW = 1.0  # seconds of the rate window (`per_second`)
# Added to the window: the provider counts arrivals, and two requests' trips to it differ by a
# few milliseconds, or far more for a busy machine or a cold client (its first call); without
# a margin a call let through just after the window could land inside the provider's second.
WINDOW_MARGIN = 0.25
POLL = 0.05  # seconds between attempts while every slot is taken (releases are not pushed)
MAX_SLEEP = 1.0  # never sleep longer between attempts: a cancel is noticed within this
SLOT_MARGIN = 30.0  # a slot outlives the provider timeout by this much, then frees itself
NO_LIMIT = ProviderLimit()


class LimitStore(Protocol):
    def try_acquire(self, model: str, limit: ProviderLimit, token: str, ttl: float) -> float:
        """Take a turn for `token`: 0 when taken, else seconds to wait before trying again."""

    def release(self, model: str, token: str) -> None: ...

    def slow_down(self, model: str, seconds: float) -> None:
        """No call to `model` starts for `seconds` (a later "not before" wins)."""


@dataclass
class _ModelState:
    slots: dict[str, float] = field(default_factory=dict)  # token -> expiry (monotonic)
    starts: deque[float] = field(default_factory=deque)
    not_before: float = 0.0


class LocalStore:
    """The embedded profile's store: this process only (its job threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._models: dict[str, _ModelState] = {}

    def try_acquire(self, model: str, limit: ProviderLimit, token: str, ttl: float) -> float:
        with self._lock:
            now = self._clock()
            state = self._models.setdefault(model, _ModelState())
            if state.not_before > now:
                return state.not_before - now
            if limit.concurrency:
                state.slots = {t: exp for t, exp in state.slots.items() if exp > now}
                if len(state.slots) >= limit.concurrency:
                    return POLL
            if limit.per_second:
                window = WINDOW + WINDOW_MARGIN
                while state.starts and state.starts[0] <= now - window:
                    state.starts.popleft()
                if len(state.starts) >= limit.per_second:
                    return state.starts[0] + window - now
                state.starts.append(now)
            if limit.concurrency:
                state.slots[token] = now + ttl
            return 0.0

    def release(self, model: str, token: str) -> None:
        with self._lock:
            state = self._models.get(model)
            if state is not None:
                state.slots.pop(token, None)

    def slow_down(self, model: str, seconds: float) -> None:
        with self._lock:
            state = self._models.setdefault(model, _ModelState())
            state.not_before = max(state.not_before, self._clock() + seconds)


# KEYS: slots (zset token -> expiry), starts (zset token -> start), not-before (string).
# ARGV: token, concurrency (0: none), per_second (0: none), slot ttl, window.
# Returns a string (a Lua number would come back truncated to an integer): "0" when taken.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local nb = tonumber(redis.call('GET', KEYS[3]) or '0')
if nb > now then return tostring(nb - now) end
local conc, rate = tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl, window = tonumber(ARGV[4]), tonumber(ARGV[5])
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= conc then return ARGV[6] end
end
if rate > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  if redis.call('ZCARD', KEYS[2]) >= rate then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return tostring(tonumber(oldest[2]) + window - now)
  end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], math.ceil(window * 1000) + 1000)
end
if conc > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000) + 1000)
end
return '0'
"""

# KEYS: not-before. ARGV: seconds. Keeps the later of the stored and the new moment.
_SLOW_DOWN = """
local t = redis.call('TIME')
local secs = tonumber(ARGV[1])
local later = tonumber(t[1]) + tonumber(t[2]) / 1000000 + secs
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if later > cur then
  redis.call('SET', KEYS[1], tostring(later), 'PX', math.ceil(secs * 1000) + 1000)
end
return 1
"""


class RedisStore:
    """The production store: every worker process on every machine shares it."""

    def __init__(self, client: redis.Redis, prefix: str = "pixel_studio:plimit") -> None:
        self._client = client
        self._prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._slow_down = client.register_script(_SLOW_DOWN)

    def _keys(self, model: str) -> list[str]:
        base = f"{self._prefix}:{{{model}}}"  # one hash slot per model (Redis Cluster)
        return [f"{base}:slots", f"{base}:starts", f"{base}:not_before"]

    def try_acquire(self, model: str, limit: ProviderLimit, token: str, ttl: float) -> float:
        args: list[str | float] = [token, limit.concurrency or 0, limit.per_second or 0, ttl]
        args += [WINDOW + WINDOW_MARGIN, POLL]
        try:
            return float(cast("bytes", self._acquire(keys=self._keys(model), args=args)))
        except redis.RedisError:
            log.warning("provider limits: Redis unavailable, %s not limited", model, exc_info=True)
            return 0.0

    def release(self, model: str, token: str) -> None:
        try:
            self._client.zrem(self._keys(model)[0], token)
        except redis.RedisError:  # the slot expires by itself
            log.warning("provider limits: could not release a %s slot", model, exc_info=True)

    def slow_down(self, model: str, seconds: float) -> None:
        try:
            self._slow_down(keys=self._keys(model)[2:], args=[seconds])
        except redis.RedisError:
            log.warning("provider limits: could not share a %s slow-down", model, exc_info=True)


class ProviderLimits:
    """The limits of one settings object over a store (what the worker calls)."""

    def __init__(self, limits: dict[str, ProviderLimit], store: LimitStore, slot_ttl: float):
        self.limits = limits
        self.store = store
        self.slot_ttl = slot_ttl

    @contextmanager
    def turn(
        self,
        model: str,
        *,
        on_wait: Callable[[bool], None] | None = None,
        check: Callable[[], None] | None = None,
    ) -> Iterator[None]:
        """Hold one of `model`'s turns for the block. While waiting, `check()` runs before
        every attempt (it may raise to give up: a cancelled job) and `on_wait(True)` once;
        `on_wait(False)` when the turn comes after a wait."""
        limit = self.limits.get(model, NO_LIMIT)
        token = uuid4().hex
        waited = False
        while True:
            if check is not None:
                check()
            wait = self.store.try_acquire(model, limit, token, self.slot_ttl)
            if wait <= 0:
                break
            if not waited and on_wait is not None:
                on_wait(True)
            waited = True
            # Jitter: workers that waited for the same moment do not all ask at once.
            time.sleep(min(wait, MAX_SLEEP) + random.uniform(0, POLL / 2))
        if waited and on_wait is not None:
            on_wait(False)
        try:
            yield
        finally:
            if limit.concurrency:
                self.store.release(model, token)

    def slow_down(self, model: str, seconds: float) -> None:
        if seconds > 0:
            self.store.slow_down(model, seconds)


_local_store = LocalStore()


@lru_cache(maxsize=8)
def _redis_store(url: str) -> RedisStore:
    # No retries: the limiter fails open, and redis-py's default (3 retries with backoff) made
    # every provider call wait ~17 s for an unreachable Redis before going through.
    client = redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    return RedisStore(client)


def waiting_message(model_id: str) -> str:
    """What a job card shows while its model's limit holds it back."""
    try:
        name = get_model(model_id).display_name
    except UnknownModelError:
        name = model_id  # a model since removed from the catalog: its id is still honest
    return f"Waiting for {name}…"


def for_settings(settings: Settings) -> ProviderLimits:
    """Shared through Redis when REDIS_URL is set, else this process's own store."""
    store: LimitStore = _redis_store(settings.redis_url) if settings.redis_url else _local_store
    ttl = settings.provider_timeout_seconds + SLOT_MARGIN
    return ProviderLimits(settings.provider_limits, store, ttl)
