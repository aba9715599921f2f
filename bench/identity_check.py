"""What the identity check costs each socket event (issue 13, item 5), beside its floor.

IdentityMiddleware asks, before every event handler, whose live session the socket's cookie
is (`services.accounts.sessions.touch`: one lookup on the unique token_hash index joined to the
user; a conditional UPDATE of last_seen_at at most every SEEN_EVERY). Measured per call, in one
thread, on a throwaway SQLite file and a throwaway PostgreSQL database (created and dropped):

- floor: a session from the pool running `SELECT 1` and committing (the least a DB round trip
  through the same session machinery costs);
- touch: the middleware's lookup, last_seen fresh (the usual case: no write);
- touch + write: last_seen stale every time (the once-per-5-minutes case, forced);
- session_user_id: the per-handler check that state-changing handlers already made.

    .venv/bin/python bench/identity_check.py [--calls N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

from pixel_studio.db import make_engine, utcnow  # noqa: E402
from pixel_studio.migrations import upgrade  # noqa: E402
from pixel_studio.models import UserSession  # noqa: E402
from pixel_studio.services import users  # noqa: E402
from pixel_studio.services.accounts import auth, sessions  # noqa: E402
from pixel_studio.settings import Settings  # noqa: E402
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url  # noqa: E402


def per_call_us(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """(p50, p95) microseconds per call, after a warm-up."""
    for _ in range(20):
        fn()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def measure(engine: Engine, calls: int) -> list[tuple[str, float, float]]:
    settings = Settings(_env_file=None, secret_key="bench")  # type: ignore[call-arg]
    with Session(engine) as s:
        user = users.create_user(s, "bench", "bench@example.com", "long enough pw", bonus=0)
        token = auth.create_session(s, user.id or 0, settings)
        s.commit()

    def floor() -> None:
        with Session(engine) as s:
            s.execute(text("SELECT 1"))
            s.commit()

    def touch() -> None:
        with Session(engine) as s:
            assert sessions.touch(s, token, "203.0.113.0/24") is not None
            s.commit()

    def touch_write() -> None:
        with Session(engine) as s:
            s.execute(
                update(UserSession)
                .where(col(UserSession.token_hash) == auth.hash_token(token))
                .values(last_seen_at=utcnow() - sessions.SEEN_EVERY * 2)
            )
            assert sessions.touch(s, token, "203.0.113.0/24") is not None
            s.commit()

    def per_handler() -> None:
        with Session(engine) as s:
            assert auth.session_user_id(s, token) is not None
            s.commit()

    return [
        ("floor: SELECT 1", *per_call_us(floor, calls)),
        ("touch (no write)", *per_call_us(touch, calls)),
        ("touch + last_seen write (forced)", *per_call_us(touch_write, calls)),
        ("session_user_id (per-handler check)", *per_call_us(per_handler, calls)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    print(f"# identity check per socket event, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    results: dict[str, list[tuple[str, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        results["SQLite"] = measure(engine, args.calls)
        engine.dispose()
    name = create_pg_database()
    try:
        upgrade(pg_url(name))
        engine = make_engine(pg_url(name))
        results["PostgreSQL"] = measure(engine, args.calls)
        engine.dispose()
    finally:
        drop_pg_database(name)
    for db, rows in results.items():
        print(f"\n{db} ({args.calls} calls each)\n| what | p50 µs | p95 µs | p50 × floor |")
        print("|---|---|---|---|")
        base = rows[0][1]
        for what, p50, p95 in rows:
            print(f"| {what} | {p50:.0f} | {p95:.0f} | {p50 / base:.1f} |")


if __name__ == "__main__":
    main()
