"""Does "forgot password" take the same time for a real account and an unknown one?

    .venv/bin/python bench/password_reset_timing.py [--rounds 200] [--database-url URL]

Times what the forgot-password page waits for (`password_reset.request_reset`, whose queued
half `send_reset_link` runs on a worker thread as the embedded queue runs it), alternately
for an existing username and an unknown one, on a fresh SQLite file (or the given database,
migrated, without the bench's names), rate limits off, mail to a throwaway outbox. Then,
for comparison, the same with the lookup and token write done inside the request (how a
naive version would do it). Prints medians and p90s, and each difference of medians beside
the floor: the spread between two runs of the *same* request (existing vs existing).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio import mail
from pixel_studio.cache import MemoryCache
from pixel_studio.db import make_engine
from pixel_studio.migrations import upgrade
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import password_reset
from pixel_studio.settings import Settings


def timed(engine: Engine, settings: Settings, login: str, inline: bool) -> float:
    """One request in ms. `inline`: the account half runs inside the request."""
    cache = MemoryCache()

    def job(name: str) -> None:
        with Session(engine) as session:
            password_reset.send_reset_link(session, cache, settings, name)
            session.commit()

    enqueue = job if inline else (lambda name: _pool.submit(job, name) and None)
    start = time.perf_counter()
    password_reset.request_reset(cache, settings, login, "192.0.2.1", enqueue)
    elapsed = (time.perf_counter() - start) * 1000
    _pool.submit(lambda: None).result()  # the job done before the next request is timed
    return elapsed


_pool = ThreadPoolExecutor(1)


def summary(name: str, samples: list[float]) -> str:
    p90 = statistics.quantiles(samples, n=10)[-1]
    return f"{name:<22} median {statistics.median(samples):6.2f} ms   p90 {p90:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="reset-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    if not args.database_url:
        upgrade(url)
    engine = make_engine(url)
    settings = Settings(_env_file=None, data_dir=tmp, secret_key="bench")  # type: ignore[call-arg]
    with Session(engine) as session:
        users.create_user(session, "benchreal", "benchreal@example.com", "correct horse", bonus=0)
        session.commit()
    with rate_limits.exempt():
        for inline in (False, True):
            known: list[float] = []
            known_again: list[float] = []
            unknown: list[float] = []
            for _ in range(10):  # warm-up: imports, connections, caches
                timed(engine, settings, "benchreal", inline)
                timed(engine, settings, "benchghost", inline)
            for _ in range(args.rounds):
                known.append(timed(engine, settings, "benchreal", inline))
                unknown.append(timed(engine, settings, "benchghost", inline))
                known_again.append(timed(engine, settings, "benchreal", inline))
            label = "lookup inside the request" if inline else "as built (lookup queued)"
            print(f"{engine.dialect.name}, {label}, {args.rounds} rounds each")
            print(summary("  existing account", known))
            print(summary("  unknown account", unknown))
            diff = abs(statistics.median(known) - statistics.median(unknown))
            floor = abs(statistics.median(known) - statistics.median(known_again))
            print(f"  difference of medians {diff:6.3f} ms (floor, existing vs existing: "
                  f"{floor:.3f} ms)")  # fmt: skip
    mail.wait_idle(60)
    _pool.shutdown()


if __name__ == "__main__":
    main()
