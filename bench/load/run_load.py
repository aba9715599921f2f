"""Load test of the production topology on this machine: locust users against the Procfile.

What it starts (all loopback, all torn down by PID at the end, also on Ctrl-C):
- a throwaway PostgreSQL database (created, migrated, dropped) and a claimed Redis database
  (flushed before and after): cache, rate limits, Reflex state, Celery broker, job events;
- local storage in a temp folder, the local-sketch model (no key, no network);
- the Procfile's processes through honcho: two backends (`reflex run --env prod
  --single-port`, one granian worker process each unless --granian-workers says otherwise)
  and two Celery workers (concurrency --worker-concurrency each), as `honcho start -c
  web=2,worker=2` runs them, except that the second backend starts (`honcho start web`, next
  port) once the first is up: two backends starting at once race on clearing .states/;
- the data: `pixel-studio seed-demo --images N` (real images through the local generator),
  then --users accounts, each with credits and a personal API token, made through the services;
- `locust --headless` with bench/load/locustfile.py for --duration, `--csv` into --out.

It prints one Markdown table (throughput, p50/p95/p99, error rate per action), the generation
jobs' own numbers from the database, and the machine, date and load average to paste into
bench/RESULTS.md. The frontend is built into .web by the backends, as `make run` does: do not
run it while browser tests build the same folder.

    .venv/bin/python bench/load/run_load.py [--users 30] [--duration 120] [--images 120]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.load.common import (  # noqa: E402
    BIN,
    base_env,
    free_port,
    machine,
    pct,
    start,
    stop,
    tree_rss,
    uptime,
    wait_ready,
)
from pixel_studio.db import make_engine  # noqa: E402
from pixel_studio.services import users  # noqa: E402
from pixel_studio.services.accounts import api_tokens  # noqa: E402
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url  # noqa: E402
from tests.redis_fixtures import claimed_redis_db  # noqa: E402

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def make_accounts(db_url: str, count: int) -> list[dict[str, str]]:
    """`count` users with plenty of credits and one API token each, through the services."""
    engine = make_engine(db_url)
    out = []
    try:
        with Session(engine) as session:
            for i in range(count):
                user = users.create_user(
                    session, f"load{i}", f"load{i}@example.com", "long enough pw", bonus=10_000
                )
                assert user.id is not None
                secret = api_tokens.create_token(session, user.id, "load test").secret
                out.append({"username": user.username, "token": secret})
            session.commit()
    finally:
        engine.dispose()
    return out


def public_image_ids(db_url: str) -> list[int]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM image WHERE NOT private ORDER BY id"))
            return [int(r[0]) for r in rows]
    finally:
        engine.dispose()


def job_numbers(db_url: str) -> str:
    """The generation jobs of the run as the database has them: status counts, queue→ended."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT j.status, EXTRACT(EPOCH FROM (j.finished_at - j.created_at)) "
                    "FROM generation_job j JOIN user_account u ON u.id = j.user_id "
                    "WHERE u.username LIKE 'load%'"
                )
            ).all()
    finally:
        engine.dispose()
    counts: dict[str, int] = {}
    for status, _ in rows:
        counts[str(status)] = counts.get(str(status), 0) + 1
    ended = [float(s) * 1000 for _, s in rows if s is not None]
    return (
        f"jobs by status: {json.dumps(counts)}; created→finished (database clock) "
        f"p50 {pct(ended, 0.5):.0f} ms, p95 {pct(ended, 0.95):.0f} ms, "
        f"p99 {pct(ended, 0.99):.0f} ms over {len(ended)} jobs"
    )


def table(stats_csv: Path, duration: float) -> str:
    """One row per action; then every HTTP request together (locust's own aggregate would mix
    in the submit→ended rows, which are not requests)."""
    lines = [
        "| action | requests | req/s | p50 ms | p95 ms | p99 ms | errors | error rate |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total = failed = 0
    with stats_csv.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["Name"] == "Aggregated":
                continue
            count, failures = int(row["Request Count"]), int(row["Failure Count"])
            if row["Type"] != "JOB":
                total, failed = total + count, failed + failures
            rate = failures / count if count else 0.0
            lines.append(
                f"| {row['Name']} | {count} | {count / duration:.2f} | {row['50%']} "
                f"| {row['95%']} | {row['99%']} | {failures} | {rate:.1%} |"
            )
    rate = failed / total if total else 0.0
    lines.append(
        f"| **all HTTP requests** | {total} | {total / duration:.2f} | | | | {failed} "
        f"| {rate:.1%} |"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> None:
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    header = (
        f"# load test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}\n"
        f"# users {args.users} (spawn {args.spawn_rate}/s), duration {args.duration} s, "
        f"backends {args.web} × {args.granian_workers} granian worker(s), Celery workers "
        f"{args.workers} × concurrency {args.worker_concurrency}, {args.images} seeded images\n"
        f"# before: {uptime()}"
    )
    print(header, flush=True)
    honchos: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp, claimed_redis_db() as redis:
        name = create_pg_database()
        try:
            db_url = pg_url(name)
            port = free_port(consecutive=args.web)
            env = base_env(Path(tmp), port)
            env.update(
                DATABASE_URL=db_url,
                REDIS_URL=redis,
                GRANIAN_WORKERS=str(args.granian_workers),
                WORKER_CONCURRENCY=str(args.worker_concurrency),
                CELERY_QUEUE=f"load-{uuid.uuid4().hex[:8]}",
                LOG_FORMAT="json",
                PROMETHEUS_MULTIPROC_DIR=str(Path(tmp) / "prom"),
            )
            cli = str(BIN / "pixel-studio")
            t0 = time.monotonic()
            for step in (["db", "upgrade"], ["metrics", "reset"]):
                subprocess.run([cli, *step], cwd=REPO, env=env, check=True, capture_output=True)
            subprocess.run(
                [cli, "seed-demo", "--images", str(args.images)],
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
            )
            accounts = make_accounts(db_url, args.users)
            ids = public_image_ids(db_url)
            backends = [f"http://127.0.0.1:{port + i}" for i in range(args.web)]
            fixture = Path(tmp) / "fixture.json"
            fixture.write_text(
                json.dumps({"backends": backends, "users": accounts, "image_ids": ids})
            )
            print(
                f"seeded {len(ids)} public images, {len(accounts)} users in "
                f"{time.monotonic() - t0:.0f} s",
                flush=True,
            )

            # The Procfile's processes, by honcho. web.1 (and the workers) first, then each
            # further backend by its own `honcho start ... web` once the one before is up:
            # two `reflex run` starting at the same instant race on clearing .states/ (one
            # exits with FileNotFoundError), so backends start one after another.
            honchos = []
            for i in range(args.web):
                log = out / f"honcho-web{i + 1}.log"
                log.unlink(missing_ok=True)
                what = ["-c", f"web=1,worker={args.workers}"] if i == 0 else ["web"]
                honchos.append(
                    start(
                        [str(BIN / "honcho"), "start", "-f", "Procfile", "-p", str(port + i),
                         *what],
                        env,
                        log,
                    )
                )  # fmt: skip
                wait_ready([f"{backends[i]}/readyz"], honchos, log)
            for b in backends:  # first page load of each backend outside the measurement
                subprocess.run(["curl", "-s", "-o", "/dev/null", f"{b}/explore"], check=False)
            rss_before = sum(tree_rss(h.pid) for h in honchos)
            print(
                f"topology up ({time.monotonic() - t0:.0f} s), RSS of every process "
                f"honcho started: {rss_before / 2**20:.0f} MiB; {uptime()}",
                flush=True,
            )

            prefix = out / "locust"
            locust_env = {**env, "LOAD_FIXTURE": str(fixture)}
            started = time.monotonic()
            subprocess.run(
                [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless",
                 "-u", str(args.users), "-r", str(args.spawn_rate),
                 "-t", f"{args.duration}s", "--csv", str(prefix), "--only-summary",
                 "--stop-timeout", "30", "--host", backends[0]],
                cwd=REPO, env=locust_env, check=False,
                stdout=(out / "locust.log").open("wb"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            elapsed = time.monotonic() - started
            load_after = uptime()
            rss_after = sum(tree_rss(h.pid) for h in honchos)
            print()
            print(table(Path(f"{prefix}_stats.csv"), float(args.duration)))
            print()
            print(job_numbers(db_url))
            print(
                f"RSS of the topology: {rss_before / 2**20:.0f} MiB before, "
                f"{rss_after / 2**20:.0f} MiB after; locust ran {elapsed:.0f} s"
            )
            print(f"# after: {load_after}")
        finally:
            for proc in reversed(honchos):
                stop(proc)
            drop_pg_database(name)
    print(f"CSV files and logs in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--images", type=int, default=120, help="seed-demo gallery size")
    parser.add_argument("--web", type=int, default=2, help="backend processes (Procfile web)")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (Procfile)")
    parser.add_argument("--granian-workers", type=int, default=1)
    parser.add_argument("--worker-concurrency", type=int, default=1)
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "pixel-studio-load"))
    run(parser.parse_args())


if __name__ == "__main__":
    main()
