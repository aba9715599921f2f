"""Fixed-window rate limits over the cache's counters."""

from __future__ import annotations

from pixel_studio.cache import Cache
from pixel_studio.services.errors import RateLimited


def hit(cache: Cache, bucket: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt in `bucket`; raise RateLimited once the window holds more than `limit`."""
    count, retry_after = cache.incr(f"rl:{bucket}", window_seconds)
    if count > limit:
        minutes = max(1, round(retry_after / 60))
        raise RateLimited(f"{message} Try again in about {minutes} min.", retry_after)


def reset(cache: Cache, bucket: str) -> None:
    cache.delete(f"rl:{bucket}")
