"""Generation pipeline throughput and latency, beside a raw Celery no-op on the same broker.

Set-up (all real, all loopback): PostgreSQL (a fresh database), Redis as broker and event list,
one `celery worker -P prefork -c 2` (two worker processes), local storage in a temp folder.
The provider is local-sketch at its smallest size, 256x256 (~20 ms to draw: near-instant, but
not free), one image per job.

Measured, for both the pipeline and the floor (a no-op task that pushes one message to a Redis
list, popped by the same kind of BLPOP consumer):
- latency: submit → the terminal event popped by a BLPOP consumer, one job at a time;
- throughput: a burst of N submissions, jobs/s from the first submit to the last terminal
  event, with the latency distribution under that load.
A pipeline "submit" is the create page's whole call: validate, debit + ledger + job + set in one
transaction, commit, publish "queued", send the task.

    .venv/bin/python bench/pipeline.py [--jobs N] [--samples M]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from pixel_studio.db import make_engine  # noqa: E402
from pixel_studio.events import EventSource  # noqa: E402
from pixel_studio.job_queue import TASK_NAME  # noqa: E402
from pixel_studio.migrations import upgrade  # noqa: E402
from pixel_studio.models import CreditKind, GenerationJob  # noqa: E402
from pixel_studio.providers.base import ImageRequest  # noqa: E402
from pixel_studio.providers.local_sketch import LocalSketchProvider  # noqa: E402
from pixel_studio.services import credits, users  # noqa: E402
from pixel_studio.services.studio import generation  # noqa: E402
from pixel_studio.settings import Settings  # noqa: E402
from pixel_studio.storage.images import encode_original, make_thumbnail  # noqa: E402
from pixel_studio.storage.local import LocalStorage  # noqa: E402
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url  # noqa: E402
from tests.redis_fixtures import claimed_redis_db  # noqa: E402
from tests.workers.celery_harness import Worker  # noqa: E402
from workers.celery_app import make_app  # noqa: E402

TERMINAL = ("succeeded", "failed", "cancelled")
# As in bench/_pipeline_app.py (not imported here: importing it builds the worker's app).
NOOP_TASK, INSTANT_TASK, NOOP_KEY = "bench.noop", "bench.generate_instant", "bench:noop"
FORM = {"model": "local-sketch", "prompt": "a lighthouse on a cliff", "size": "256x256"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, settings: Settings, session: Session, user_id: int) -> None:
        self.settings = settings
        self.session = session
        self.user_id = user_id
        self.app = make_app(settings)
        self.events = EventSource(settings)
        self.redis = redis.Redis.from_url(settings.redis_url)
        self.job_ids: dict[str, list[str]] = {}

    # --- one submission of each kind; each returns the id its consumer will see

    def job_submitter(self, task: str) -> Callable[[], str]:
        def send(job_id: str) -> None:
            self.app.send_task(task, args=[job_id])

        def submit() -> str:
            job = generation.create_job(
                self.session, self.user_id, FORM, self.settings, enqueue=send
            )
            self.job_ids.setdefault(task, []).append(job.id)
            return job.id

        return submit

    def submit_noop(self) -> str:
        token = uuid.uuid4().hex
        self.app.send_task(NOOP_TASK, args=[token])
        return token

    # --- the consumers: block until the next finished id arrives

    def next_job_done(self) -> str:
        while True:
            event = self.events.next(10.0)
            if event is None:
                raise TimeoutError("no job event within 10 s")
            if event.status in TERMINAL:
                return event.job_id

    def next_noop_done(self) -> str:
        item = self.redis.blpop([NOOP_KEY], 10)
        if item is None:
            raise TimeoutError("no no-op result within 10 s")
        return item[1].decode()

    # --- the two measurements

    def sequential(self, submit: Callable[[], str], done: Callable[[], str], n: int) -> list[float]:
        out = []
        for _ in range(n):
            start = time.perf_counter()
            ident = submit()
            while done() != ident:
                pass
            out.append(time.perf_counter() - start)
        return out

    def burst(
        self, submit: Callable[[], str], done: Callable[[], str], n: int
    ) -> tuple[float, list[float]]:
        started: dict[str, float] = {}
        finished: dict[str, float] = {}
        lock = threading.Lock()

        def consume() -> None:
            for _ in range(n):
                ident = done()
                with lock:
                    finished[ident] = time.perf_counter()

        consumer = threading.Thread(target=consume)
        consumer.start()
        first = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            ident = submit()
            with lock:
                started[ident] = t
        consumer.join(300)
        last = max(finished.values())
        latencies = [finished[i] - started[i] for i in started]
        return n / (last - first), latencies

    def measure(
        self, submit: Callable[[], str], done: Callable[[], str], samples: int, burst: int
    ) -> dict[str, float]:
        for _ in range(20):  # warm up: imports, connections, both pool children
            self.sequential(submit, done, 1)
        seq = self.sequential(submit, done, samples)
        throughput, lat = self.burst(submit, done, burst)
        return {
            "seq_p50": statistics.median(seq) * 1000,
            "seq_p95": pct(seq, 0.95) * 1000,
            "tput": throughput,
            "burst_p50": statistics.median(lat) * 1000,
            "burst_p95": pct(lat, 0.95) * 1000,
        }


def image_work_ms(settings: Settings, runs: int = 30) -> dict[str, float]:
    """What one 256² image costs inside the job, measured in this process."""
    provider, storage = LocalSketchProvider(), LocalStorage(settings)
    parts: dict[str, list[float]] = {"draw": [], "encode": [], "thumbnail": [], "store": []}
    for i in range(runs):
        t0 = time.perf_counter()
        req = ImageRequest(
            model_id="local-sketch", prompt=FORM["prompt"], width=256, height=256, seed=i
        )
        image = provider.generate(req)
        t1 = time.perf_counter()
        original = encode_original(image.png, {"prompt": FORM["prompt"], "seed": i})
        t2 = time.perf_counter()
        thumb = make_thumbnail(original)
        t3 = time.perf_counter()
        storage.put(f"bench/{i}.png", original, "image/png")
        storage.put(f"bench/{i}.webp", thumb, "image/webp")
        t4 = time.perf_counter()
        for name, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(value * 1000)
    return {name: statistics.median(values) for name, values in parts.items()}


def job_phases_ms(session: Session, job_ids: list[str]) -> tuple[float, float]:
    """Median queue wait (created → claimed) and run time (claimed → finished) of these jobs."""
    rows = session.exec(
        select(GenerationJob.created_at, GenerationJob.started_at, GenerationJob.finished_at).where(
            col(GenerationJob.id).in_(job_ids)
        )
    ).all()
    waits = [(s - c).total_seconds() * 1000 for c, s, _ in rows if s]
    runs = [(f - s).total_seconds() * 1000 for _, s, f in rows if s and f]
    return statistics.median(waits), statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=400, help="burst size (each kind)")
    parser.add_argument("--samples", type=int, default=100, help="sequential round trips")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="ps-bench-"))
    db_name = create_pg_database()
    workers: list[Worker] = []
    try:
        url = pg_url(db_name)
        upgrade(url)
        with claimed_redis_db() as redis_url:
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "DATA_DIR": str(data_dir),
                "SECRET_KEY": "bench",
                "CELERY_QUEUE": f"bench-{db_name}",
                "EVENTS_KEY": f"bench-events-{db_name}",
                # One user keeps whole batches in flight: the pipeline's speed is measured
                # here, not the backpressure caps (services/studio/backpressure.py).
                "MAX_ACTIVE_JOBS_PER_USER": "1000000",
                "MAX_QUEUED_JOBS": "1000000",
            }
            fields: dict[str, Any] = {k.lower(): v for k, v in env.items()}
            settings = Settings(_env_file=None, **fields)
            engine = make_engine(url)
            worker = Worker(env, settings.celery_queue, data_dir, app="bench._pipeline_app")
            workers.append(worker)
            worker.wait_ready()
            with Session(engine, expire_on_commit=False) as session:
                user = users.create_user(session, "bench", "bench@example.com", None, bonus=0)
                assert user.id is not None
                credits.change_balance(session, user.id, 10**9, CreditKind.admin)
                session.commit()
                bench = Bench(settings, session, user.id)
                n, b = args.samples, args.jobs
                results = {
                    "sketch": bench.measure(
                        bench.job_submitter(TASK_NAME), bench.next_job_done, n, b
                    ),
                    "predrawn": bench.measure(
                        bench.job_submitter(INSTANT_TASK), bench.next_job_done, n, b
                    ),
                    "noop": bench.measure(bench.submit_noop, bench.next_noop_done, n, b),
                }
                submit_ms = statistics.median(
                    _timed(bench.job_submitter(INSTANT_TASK)) for _ in range(20)
                )  # the create page's call alone (its jobs finish in the background)
                for _ in range(20):
                    bench.next_job_done()
                phases = {task: job_phases_ms(session, ids) for task, ids in bench.job_ids.items()}
                assert generation.ledger_mismatches(session) == []
            image_work = image_work_ms(settings)
            engine.dispose()
    finally:
        for w in workers:
            w.stop()
        drop_pg_database(db_name)
        shutil.rmtree(data_dir, ignore_errors=True)

    report(args, results, submit_ms, phases, image_work)


def report(
    args: argparse.Namespace,
    results: dict[str, dict[str, float]],
    submit_ms: float,
    phases: dict[str, tuple[float, float]],
    image_work: dict[str, float],
) -> None:
    sketch, predrawn, noop = results["sketch"], results["predrawn"], results["noop"]
    print(
        f"Redis broker, 1 worker × prefork 2, PostgreSQL; {args.samples} sequential round "
        f"trips, then a burst of {args.jobs}, per column.\n"
    )
    print(
        "| measure | pipeline, 256² sketch | pipeline, pre-drawn image | raw no-op "
        "| sketch ÷ no-op | pre-drawn ÷ no-op | goal |"
    )
    print("|---|---|---|---|---|---|---|")
    lines = [
        ("round trip p50, one at a time (ms)", "seq_p50", "≤ 1.5×"),
        ("round trip p95, one at a time (ms)", "seq_p95", ""),
        ("throughput, burst (jobs/s)", "tput", "≥ 0.50×"),
        ("latency p50 in the burst (ms)", "burst_p50", ""),
        ("latency p95 in the burst (ms)", "burst_p95", ""),
    ]
    for label, key, goal in lines:
        a, b, c = sketch[key], predrawn[key], noop[key]
        print(f"| {label} | {a:.1f} | {b:.1f} | {c:.1f} | {a / c:.2f}× | {b / c:.2f}× | {goal} |")
    wait_sketch, run_sketch = phases[TASK_NAME]
    wait_pre, run_pre = phases[INSTANT_TASK]
    work = ", ".join(f"{k} {v:.1f}" for k, v in image_work.items())
    print(
        f"\nMedians (ms): submit call (validate, debit + job + set, commit, event, send) "
        f"{submit_ms:.1f}; in the worker, claim → finished: sketch {run_sketch:.1f}, "
        f"pre-drawn {run_pre:.1f}; queue wait over all jobs: sketch {wait_sketch:.1f}, "
        f"pre-drawn {wait_pre:.1f}. One 256² image's work measured alone: {work}."
    )


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    main()
