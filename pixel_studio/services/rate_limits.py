"""Fixed-window rate limits over the cache's counters."""

from __future__ import annotations

import ipaddress

from pixel_studio.cache import Cache
from pixel_studio.services.errors import RateLimited


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


def hit(cache: Cache, bucket: str, limit: int, window_seconds: int, message: str) -> None:
    """Count one attempt in `bucket`; raise RateLimited once the window holds more than `limit`."""
    count, retry_after = cache.incr(f"rl:{bucket}", window_seconds)
    if count > limit:
        minutes = max(1, round(retry_after / 60))
        raise RateLimited(f"{message} Try again in about {minutes} min.", retry_after)


def reset(cache: Cache, bucket: str) -> None:
    cache.delete(f"rl:{bucket}")
