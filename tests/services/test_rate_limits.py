"""Rate-limit tiers on the `limits` library: bursts, other keys and tiers, recovery, Redis down."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import pytest

from pixel_studio.cache import Cache, MemoryCache, RedisCache
from pixel_studio.services import rate_limits
from pixel_studio.services.errors import RateLimited
from pixel_studio.settings import Settings

TIERS = [rate_limits.GENERATION, rate_limits.FINANCIAL, rate_limits.WRITE, rate_limits.READ]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Cache:
    if request.param == "memory":
        return MemoryCache()
    return RedisCache("redis://127.0.0.1:6379/14")


def tiny(tmp_path: Path, per: str = "1 second") -> Settings:
    """Every tier a small allowance over a one-second window, so recovery takes a second."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="t",
        rate_limit_generation=f"2 per {per}",
        rate_limit_financial=f"3 per {per}",
        rate_limit_write=f"4 per {per}",
        rate_limit_read=f"5 per {per}",
    )


def test_defaults_are_the_documented_numbers() -> None:
    limits = rate_limits.tier_limits(Settings(_env_file=None))  # type: ignore[call-arg]
    got = {t: (i.amount, i.get_expiry()) for t, i in limits.items()}
    assert got == {
        "auth": (10, 900),
        "signup": (5, 3600),
        "generation": (5, 60),
        "financial": (10, 60),
        "write": (30, 60),
        "read": (60, 60),
        "mail_network": (10, 3600),
        "mail_account": (3, 3600),
    }


@pytest.mark.parametrize("tier", TIERS)
def test_a_burst_over_a_tier_is_refused_with_retry_after_and_the_window_recovers(
    backend: Cache, tmp_path: Path, tier: str
) -> None:
    settings = tiny(tmp_path)
    limiter = rate_limits.limiter_for(backend)
    allowed = rate_limits.tier_limits(settings)[tier].amount
    me, other = f"user:{uuid.uuid4().hex}", f"user:{uuid.uuid4().hex}"
    for _ in range(allowed):
        rate_limits.hit(limiter, tier, me, settings)
    with pytest.raises(RateLimited) as err:
        rate_limits.hit(limiter, tier, me, settings)
    assert err.value.retry_after == 1
    assert "Try again in about 1 second." in err.value.message
    # Another user, and the same user in every other tier, are not slowed down.
    rate_limits.hit(limiter, tier, other, settings)
    for other_tier in set(TIERS) - {tier}:
        rate_limits.hit(limiter, other_tier, me, settings)
    time.sleep(1.05)  # the moving window has passed: the allowance is back
    for _ in range(allowed):
        rate_limits.hit(limiter, tier, me, settings)


def test_the_window_moves_rather_than_resetting(backend: Cache, tmp_path: Path) -> None:
    """Moving window: hits spread over the window still count until each one is a window old."""
    settings = tiny(tmp_path, per="2 seconds")
    limiter = rate_limits.limiter_for(backend)
    key = uuid.uuid4().hex
    rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)
    time.sleep(1.1)
    rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)
    with pytest.raises(RateLimited) as err:
        rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)
    assert err.value.retry_after == 1  # the first hit leaves the window in under a second
    time.sleep(1.0)
    rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)  # one slot came back
    with pytest.raises(RateLimited):
        rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)


def test_clear_gives_the_allowance_back(backend: Cache, tmp_path: Path) -> None:
    settings = tiny(tmp_path)
    limiter = rate_limits.limiter_for(backend)
    key = uuid.uuid4().hex
    for _ in range(2):
        rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)
    rate_limits.clear(limiter, rate_limits.GENERATION, key, settings)
    rate_limits.hit(limiter, rate_limits.GENERATION, key, settings)


def test_each_cache_has_its_own_limiter_and_keeps_it() -> None:
    one, two = MemoryCache(), MemoryCache()
    assert rate_limits.limiter_for(one) is rate_limits.limiter_for(one)
    assert rate_limits.limiter_for(one) is not rate_limits.limiter_for(two)
    redis_limiter = rate_limits.limiter_for(RedisCache("redis://127.0.0.1:6379/14"))
    assert type(redis_limiter.storage).__name__ == "RedisStorage"
    assert type(rate_limits.limiter_for(one).storage).__name__ == "MemoryStorage"


def test_redis_down_fails_open_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = tiny(tmp_path)
    limiter = rate_limits.limiter_for(RedisCache("redis://127.0.0.1:1/0"))  # nobody listens
    caplog.set_level(logging.WARNING, logger=rate_limits.__name__)
    started = time.monotonic()
    for _ in range(20):  # far past the allowance of 2: every request still goes through
        rate_limits.hit(limiter, rate_limits.GENERATION, "someone", settings)
    rate_limits.clear(limiter, rate_limits.AUTH, "acct:1", settings)
    assert time.monotonic() - started < 2  # one failed connection, then no more tries
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1


def test_exempt_work_is_not_counted(tmp_path: Path) -> None:
    settings = tiny(tmp_path)
    limiter = rate_limits.limiter_for(MemoryCache())
    with rate_limits.exempt():
        for _ in range(10):
            rate_limits.hit(limiter, rate_limits.WRITE, "seed", settings)
    for _ in range(4):  # nothing was used up inside
        rate_limits.hit(limiter, rate_limits.WRITE, "seed", settings)
    with pytest.raises(RateLimited):
        rate_limits.hit(limiter, rate_limits.WRITE, "seed", settings)


def test_client_key_counts_ipv6_per_64() -> None:
    assert rate_limits.ip_key("2001:db8:1:2::5") == rate_limits.ip_key("2001:db8:1:2:ff::1")
    assert rate_limits.ip_key("2001:db8:1:3::5") != rate_limits.ip_key("2001:db8:1:2::5")
    assert rate_limits.ip_key("::ffff:192.0.2.1") == "ip:192.0.2.1"


def test_retry_message_reads_in_seconds_then_minutes() -> None:
    assert rate_limits.retry_message("Slow.", 42) == "Slow. Try again in about 42 seconds."
    assert rate_limits.retry_message("Slow.", 900) == "Slow. Try again in about 15 min."
