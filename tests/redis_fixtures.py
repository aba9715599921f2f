"""A private Redis database for a test module (or a benchmark run).

Databases 9–13 and 15 are for tests that need to own a whole database (a Celery broker, an
event list); 14 is shared by tests that only use unique keys and is never flushed here. A run
claims a free database with SET NX on a marker key, so two runs on one machine never flush
each other's data; only the claimed database is flushed, at the start and at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

REDIS_HOST = "redis://127.0.0.1:6379"
CANDIDATE_DBS = (9, 10, 11, 12, 13, 15)
MARKER = "pixel_studio:test-owner"


@contextmanager
def claimed_redis_db(ttl: int = 1800) -> Iterator[str]:
    """Yield the URL of a flushed Redis database no other run is using; flush it after."""
    owner = uuid.uuid4().hex
    for db in CANDIDATE_DBS:
        client = redis.Redis.from_url(f"{REDIS_HOST}/{db}")
        if not client.set(MARKER, owner, nx=True, ex=ttl):
            client.close()
            continue
        try:
            client.flushdb()
            client.set(MARKER, owner, ex=ttl)
            yield f"{REDIS_HOST}/{db}"
        finally:
            if client.get(MARKER) == owner.encode():
                client.flushdb()
            client.close()
        return
    raise RuntimeError(f"no free Redis test database among {CANDIDATE_DBS}")
