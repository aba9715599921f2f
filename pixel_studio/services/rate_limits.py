"""Rate limits per tier, on the `limits` library (moving window).

One `Limiter` per cache backend: in-process storage beside a MemoryCache (the embedded
profile), Redis beside a RedisCache (REDIS_URL), so the limits live where the cache lives and
a test that starts a fresh cache starts fresh limits. The tiers and their numbers come from
settings (`tier_limits`); who is counted is the caller's key: a signed-in user's id, or a
visitor's `client_key` (IPv4 address, IPv6 /64).

With the storage unreachable (Redis down) a limit lets the request through and logs it:
a broken limiter must not take the site down with it. After a failure the limiter does not
ask Redis again for a few seconds, so a dead Redis does not slow every request down.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import threading
import time
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from pixel_studio.cache import Cache, RedisCache, get_cache
from pixel_studio.services.errors import RateLimited
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

# The tiers (settings name the numbers). "auth" is the per-client sign-in limit; sign-ups
# keep their own, stricter hourly allowance.
AUTH, SIGNUP, GENERATION, FINANCIAL, WRITE, READ = (
    "auth",
    "signup",
    "generation",
    "financial",
    "write",
    "read",
)
# Account emails (verification, password reset; services/accounts/account_mail.py): per network and
# per account, so neither a stranger nor a script can flood someone's inbox.
MAIL_NETWORK, MAIL_ACCOUNT = "mail_network", "mail_account"
MESSAGES = {
    AUTH: "Too many sign-in attempts.",
    SIGNUP: "Too many sign-ups from your network.",
    GENERATION: "You are creating images too fast.",
    FINANCIAL: "Too many payment requests.",
    WRITE: "You are doing that too often.",
    READ: "Too many requests.",
    MAIL_NETWORK: "Too many account emails asked for from your network.",
    MAIL_ACCOUNT: "Too many emails asked for this account.",
}
STORAGE_RETRY_SECONDS = 5.0  # after Redis fails, fail open this long before asking again

_exempt: ContextVar[bool] = ContextVar("rate_limits_exempt", default=False)


def client_key(ip: str) -> str:
    """The unit a per-client limit counts: an IPv4 address, or an IPv6 /64.

    One IPv6 host (a home line, a cloud VM) is handed a whole /64 and can rotate the low 64
    bits at will, so counting per /128 would give it billions of fresh allowances."""
    try:
        addr = ipaddress.ip_address(ip.strip().split("%", 1)[0])
    except ValueError:
        return ip[:64] or "unknown"
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def ip_key(ip: str) -> str:
    return f"ip:{client_key(ip)}"


@lru_cache(maxsize=64)
def _parse(text: str) -> RateLimitItem:
    return parse(text)


def tier_limits(settings: Settings) -> dict[str, RateLimitItem]:
    """Each tier's allowance, from settings (RATE_LIMIT_* strings such as "5/minute")."""
    return {
        AUTH: RateLimitItemPerSecond(
            settings.login_attempts_per_window, settings.login_window_seconds
        ),
        SIGNUP: RateLimitItemPerSecond(settings.signups_per_window, settings.signup_window_seconds),
        GENERATION: _parse(settings.rate_limit_generation),
        FINANCIAL: _parse(settings.rate_limit_financial),
        WRITE: _parse(settings.rate_limit_write),
        READ: _parse(settings.rate_limit_read),
        MAIL_NETWORK: _parse(settings.rate_limit_account_mail_network),
        MAIL_ACCOUNT: _parse(settings.rate_limit_account_mail),
    }


def retry_message(message: str, seconds: int) -> str:
    """`message` plus when to try again, in words a person reads at a glance."""
    if seconds < 90:
        seconds = max(1, seconds)
        return f"{message} Try again in about {seconds} second{'' if seconds == 1 else 's'}."
    return f"{message} Try again in about {max(1, round(seconds / 60))} min."


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds until the window has room again (0 when allowed)


class Limiter:
    """Moving-window limits over one `limits` storage, failing open when it is unreachable."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = self._available()
            self._down_until = time.monotonic() + STORAGE_RETRY_SECONDS
        if first:  # once per outage window, not once per request
            log.warning("Rate-limit storage unreachable, letting requests through: %s", exc)

    def acquire(self, item: RateLimitItem, key: str, cost: int = 1) -> Decision:
        """Count `cost` requests for `key` at once (all or none); refused (with the wait)
        when its window has no room for them."""
        if _exempt.get() or not self._available():
            return Decision(True)
        try:
            if self._strategy.hit(item, key, cost=cost):
                return Decision(True)
            reset_at, _ = self._strategy.get_window_stats(item, key)
        except StorageError as exc:
            self._failed(exc)
            return Decision(True)
        return Decision(False, max(1, math.ceil(reset_at - time.time())))

    def clear(self, item: RateLimitItem, key: str) -> None:
        if not self._available():
            return
        try:
            self._strategy.clear(item, key)
        except StorageError as exc:
            self._failed(exc)


_limiters: weakref.WeakKeyDictionary[object, Limiter] = weakref.WeakKeyDictionary()
_limiters_lock = threading.Lock()


def limits_apply(limiter: Limiter) -> bool:
    """False inside `exempt()` and while the limiter fails open after a storage error."""
    return not _exempt.get() and limiter._available()


def limiter_for(cache: Cache) -> Limiter:
    """The limiter that lives beside `cache`: Redis for a RedisCache, in-process otherwise."""
    with _limiters_lock:
        limiter = _limiters.get(cache)
        if limiter is None:
            if isinstance(cache, RedisCache):
                storage: Storage = RedisStorage(
                    cache.url,
                    wrap_exceptions=True,
                    socket_timeout=1,
                    socket_connect_timeout=1,
                )
            else:
                storage = MemoryStorage(wrap_exceptions=True)
            limiter = _limiters[cache] = Limiter(storage)
        return limiter


def get_limiter() -> Limiter:
    return limiter_for(get_cache())


def hit(
    limiter: Limiter,
    tier: str,
    key: str,
    settings: Settings | None = None,
    message: str | None = None,
    cost: int = 1,
) -> None:
    """Count `cost` requests of `tier` for `key` (all or none: a comparison of 3 models is
    3 generations); RateLimited (with retry_after) once over."""
    item = tier_limits(settings or get_settings())[tier]
    decision = limiter.acquire(item, f"{tier}:{key}", cost)
    if not decision.allowed:
        text = retry_message(message or MESSAGES[tier], decision.retry_after)
        raise RateLimited(text, decision.retry_after)


def clear(limiter: Limiter, tier: str, key: str, settings: Settings | None = None) -> None:
    limiter.clear(tier_limits(settings or get_settings())[tier], f"{tier}:{key}")


def hit_write(cache: Cache, user_id: int) -> None:
    """The write tier (likes, comments, follows, collections), per user: the social services
    call it first, so every handler that reaches them is limited in one place."""
    hit(limiter_for(cache), WRITE, user_key(user_id))


def reader_key(user_id: int | None, ip: str) -> str:
    """Who a read counts against: the signed-in user (whichever credential they sent), else
    the visitor's network (`client_key`: IPv4 address, IPv6 /64)."""
    return user_key(user_id) if user_id is not None else ip_key(ip)


def hit_read(cache: Cache, user_id: int | None, ip: str, settings: Settings | None = None) -> None:
    """The read tier (searches and /api/v1 reads): RateLimited with retry_after once over."""
    hit(limiter_for(cache), READ, reader_key(user_id, ip), settings)


@contextlib.contextmanager
def exempt() -> Iterator[None]:
    """No limits inside (trusted bulk work such as seeding demo data from the CLI)."""
    token = _exempt.set(True)
    try:
        yield
    finally:
        _exempt.reset(token)
