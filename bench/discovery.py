"""Explore and image-page reads at 10k (and with --large, 1M) images, beside their floors.

Set-up (all real, all loopback): a fresh PostgreSQL database migrated to head, filled with
psycopg 3 COPY (images, users, sets/jobs, likes, comments, follows in proportion), the
secondary indexes built after the load, then VACUUM ANALYZE. Redis is a claimed test database.

Cold (no cached entry: a fresh MemoryCache per call; a read session per call, db.read, as the
API's read routes open on a miss): the service call (services.social.explore.explore,
services.studio.image_detail.get_image_detail) beside the same work written by hand
(`_discovery_floor.floor_call`): a connection checked out of a psycopg_pool pool of autocommit
connections (as the service checks one out of SQLAlchemy's; since 2026-12-03 afternoon, before
that one held connection), the query (same columns, same ORDER BY / LIMIT), the page built
from its rows (cards and the next page's cursor, or the image's fields) as JSON with the
standard library, stored in a dict under the call's key.
For search the hand-written query is the best single statement for that kind of term: the
plain filtered walk for a common word, the MATERIALIZED CTE over the GIN index for a rare
token. Beside them, the floor's query alone on a held connection (the floor of the earlier
tables, before 2026-12-03). Goal: <= 1.5x the floor, and flat from 10k to 1M rows.

Warm (entries in Redis): GET /api/v1/explore and /api/v1/images/{id} of the real API app
(pixel_studio.api.create_api) beside a bare Starlette route doing the same Redis work by hand
(bench/_discovery_floor_app.py: the read tier's moving-window count and the versioned GET of
the same entry, one pipeline; before 2026-12-03 a single GET, which did not count the read);
both under uvicorn on loopback, hit in turn by one httpx keep-alive client. Goal: <= 1.3x.

    .venv/bin/python bench/discovery.py [--large] [--samples N]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from _discovery_floor import floor_call, query_only  # noqa: E402  (bench/)
from _discovery_load import load  # noqa: E402  (bench/, the script's own folder)
from psycopg_pool import ConnectionPool  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from pixel_studio import direct_rows  # noqa: E402
from pixel_studio.cache import MemoryCache  # noqa: E402
from pixel_studio.db import make_engine, read  # noqa: E402
from pixel_studio.migrations import upgrade  # noqa: E402
from pixel_studio.services import cached  # noqa: E402
from pixel_studio.services.social import explore as explore_module  # noqa: E402
from pixel_studio.services.social.explore import ExploreQuery, explore  # noqa: E402
from pixel_studio.services.studio import image_detail as image_detail_module  # noqa: E402
from pixel_studio.services.studio.image_detail import get_image_detail  # noqa: E402
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url  # noqa: E402
from tests.redis_fixtures import claimed_redis_db  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- cold: service vs hand-written query ----------------------------------------------------


def cold_cases(n: int, rng: random.Random) -> dict[str, Callable[[], dict[str, Any]]]:
    """Per case, a function giving the next call's arguments (rotating over ids / tokens)."""

    def public_id() -> int:
        while True:
            i = rng.randint(1, n)
            if i % 10:
                return i

    return {
        "recent": lambda: {"query": ExploreQuery()},
        "trending 7d": lambda: {"query": ExploreQuery(sort="trending", window="7d")},
        "search common word": lambda: {"query": ExploreQuery(q="fox"), "q": "fox"},
        "search rare token": lambda: (lambda tok: {"query": ExploreQuery(q=tok), "q": tok})(
            f"tok{public_id()}"
        ),
        "image detail": lambda: {"id": public_id()},
    }


def service_call(engine: Engine, case: str, args: dict[str, Any]) -> None:
    # As the API's read routes call them: a read-only session (db.read: autocommit, a pooled
    # connection pinged only after idling, one retry if found dead), an empty cache.
    if case == "image detail":
        read(lambda session: get_image_detail(session, MemoryCache(), None, args["id"]), engine)
    else:
        read(lambda session: explore(session, MemoryCache(), args["query"]), engine)


def measure_cold(
    engine: Engine, url: str, n: int, samples: int
) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """Per case: the service's times, the hand-written floor's, and the query's alone."""
    rng = random.Random(7)
    out: dict[str, tuple[list[float], list[float], list[float]]] = {}
    dsn = url.replace("+psycopg", "")
    pool = ConnectionPool(dsn, min_size=1, max_size=2, kwargs={"autocommit": True}, open=True)
    with pool, psycopg.connect(dsn, autocommit=True) as conn:
        for case, next_args in cold_cases(n, rng).items():
            svc: list[float] = []
            flr: list[float] = []
            qry: list[float] = []
            for k in range(samples + 20):  # A, B, C in turn; the first 20 rounds warm up
                args = next_args()
                t0 = time.perf_counter()
                service_call(engine, case, args)
                t1 = time.perf_counter()
                with pool.connection() as pooled:
                    floor_call(pooled, case, args, {})
                t2 = time.perf_counter()
                query_only(conn, case, args)
                t3 = time.perf_counter()
                if k >= 20:
                    svc.append((t1 - t0) * 1000)
                    flr.append((t2 - t1) * 1000)
                    qry.append((t3 - t2) * 1000)
            out[case] = (svc, flr, qry)
    return out


def explain(engine: Engine, n: int) -> list[str]:
    """The plan lines (scans, sorts) of every statement each service call runs."""
    captured: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, params))

    run = direct_rows.select_rows

    def grab_direct(connection: Any, stmt: Any, values: Any) -> Any:
        # explore's and the image page's reads go straight to psycopg (direct_rows.py): no event
        captured.append(direct_rows.sql_and_params(stmt, connection.dialect, values))
        return run(connection, stmt, values)

    event.listen(engine, "before_cursor_execute", grab)
    explore_module.select_rows = image_detail_module.select_rows = grab_direct
    lines: list[str] = []
    try:
        for case, next_args in cold_cases(n, random.Random(3)).items():
            captured.clear()
            service_call(engine, case, next_args())
            statements = list(captured)
            lines.append(f"  {case}: {len(statements)} statement(s)")
            with engine.connect() as c:
                raw = c.connection.driver_connection
                assert raw is not None
                for statement, params in statements:
                    with raw.cursor() as cur:
                        cur.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement, params)
                        for (line,) in cur.fetchall():
                            if any(w in line for w in ("Scan", "Sort", "Execution Time")):
                                lines.append("    " + line.strip())
    finally:
        event.remove(engine, "before_cursor_execute", grab)
        explore_module.select_rows = image_detail_module.select_rows = run
    return lines


# --- warm: the API over HTTP vs one Redis GET over HTTP --------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: str, env: dict[str, str], factory: bool = False) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
           "--no-access-log", "--log-level", "warning"]  # fmt: skip
    cmd += ["--factory"] if factory else []
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/nothing-here", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{app} did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def measure_warm(
    env: dict[str, str], redis_url: str, image_id: int, samples: int
) -> dict[str, tuple[list[float], list[float]]]:
    # path, and the cache entry's name and scope the API reads it under (api/discovery.py)
    cases = {
        "explore recent": (
            "/api/v1/explore",
            f"api-explore:{ExploreQuery().model_dump_json()}",
            cached.PUBLIC_IMAGES,
        ),
        "explore search common word": (
            "/api/v1/explore?q=fox",
            f"api-explore:{ExploreQuery(q='fox').model_dump_json()}",
            cached.PUBLIC_IMAGES,
        ),
        "image detail": (
            f"/api/v1/images/{image_id}",
            f"api-image:{image_id}",
            cached.image_scope(image_id),
        ),
    }
    out: dict[str, tuple[list[float], list[float]]] = {}
    floor_env = {"BENCH_REDIS_URL": redis_url}
    with (
        served("pixel_studio.api:create_api", env, factory=True) as api,
        served("bench._discovery_floor_app:app", floor_env) as bare,
        httpx.Client(timeout=10) as http,
    ):
        for name, (path, entry, scope) in cases.items():
            first = http.get(api + path)  # fills the cache
            assert first.status_code == 200, first.text
            floor = httpx.Request("GET", f"{bare}/counted", params={"name": entry, "scope": scope})
            api_t: list[float] = []
            bare_t: list[float] = []
            for k in range(samples + 50):
                t0 = time.perf_counter()
                a = http.get(api + path)
                t1 = time.perf_counter()
                b = http.send(floor)
                t2 = time.perf_counter()
                assert a.content == b.content, "the floor must send the same bytes"
                if k >= 50:
                    api_t.append((t1 - t0) * 1000)
                    bare_t.append((t2 - t1) * 1000)
            out[name] = (api_t, bare_t)
    return out


# --- report --------------------------------------------------------------------------------


def table(title: str, rows: Mapping[str, tuple[list[float], ...]], goal: str) -> None:
    """A row per case: the call, its floor, and (cold) the floor's query alone."""
    extra = any(len(r) > 2 for r in rows.values())
    print(f"\n{title}\n")
    print(
        "| case | p50 (ms) | p95 (ms) | floor p50 | floor p95 | p50 ÷ floor | p95 ÷ floor "
        "| pair ratio p50 | goal |"
        + (" query alone p50 | pair ratio to the query |" if extra else "")
    )
    print("|---|---|---|---|---|---|---|---|---|" + ("---|---|" if extra else ""))
    for case, (a, b, *c) in rows.items():
        a50, a95, b50, b95 = statistics.median(a), pct(a, 0.95), statistics.median(b), pct(b, 0.95)
        # Each call and its floor ran back to back: the median of their ratios cancels the
        # machine's drift better than a ratio of two medians on a shared, loaded machine.
        pairs = statistics.median(x / y for x, y in zip(a, b, strict=True))
        line = (
            f"| {case} | {a50:.3f} | {a95:.3f} | {b50:.3f} | {b95:.3f} | {a50 / b50:.2f}× "
            f"| {a95 / b95:.2f}× | {pairs:.2f}× | {goal} |"
        )
        if c:
            to_query = statistics.median(x / y for x, y in zip(a, c[0], strict=True))
            line += f" {statistics.median(c[0]):.3f} | {to_query:.2f}× |"
        print(line)


def run_size(n: int, samples: int, warm: bool) -> None:
    name = create_pg_database()
    data_dir = Path(tempfile.mkdtemp(prefix="ps-bench-"))
    try:
        url = pg_url(name)
        upgrade(url)
        t = time.perf_counter()
        timings = load(url, n)
        total = time.perf_counter() - t
        print(
            f"\n### {n:,} images — loaded in {total:.1f} s (COPY {timings['copy']:.1f} s, "
            f"indexes {timings['indexes']:.1f} s, VACUUM ANALYZE "
            f"{timings['vacuum_analyze']:.1f} s)"
        )
        engine = make_engine(url)
        print("\nEXPLAIN ANALYZE of the service's statements (scan and sort nodes):\n```")
        print("\n".join(explain(engine, n)))
        print("```")
        table(
            f"Cold (no cache entry), {samples} calls each, {n:,} images",
            measure_cold(engine, url, n, samples),
            "≤ 1.5×",
        )
        engine.dispose()
        if warm:
            with claimed_redis_db() as redis_url:
                env = {
                    "DATABASE_URL": url,
                    "REDIS_URL": redis_url,
                    "DATA_DIR": str(data_dir),
                    "SECRET_KEY": "bench",
                    # One client sends thousands of reads a minute: every request is still
                    # counted (the read tier's cost is in the numbers), none is refused.
                    "RATE_LIMIT_READ": "9999999/minute",
                }
                table(
                    f"Warm (Redis), HTTP, {samples} requests each, {n:,} images",
                    measure_warm(env, redis_url, 11, samples),
                    "≤ 1.3×",
                )
    finally:
        drop_pg_database(name)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="also 1,000,000 images (~minutes)")
    parser.add_argument("--samples", type=int, default=300, help="calls per case")
    parser.add_argument("--sizes", help="comma-separated image counts (overrides --large)")
    args = parser.parse_args()
    sizes = [10_000, 1_000_000] if args.large else [10_000]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}, PostgreSQL + Redis on loopback"
    )
    for i, n in enumerate(sizes):
        run_size(n, args.samples, warm=i == 0)  # warm reads do not touch the database


if __name__ == "__main__":
    main()
