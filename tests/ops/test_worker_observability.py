"""A real Celery worker (tests/workers/celery_harness.py) with LOG_FORMAT=json and
PROMETHEUS_MULTIPROC_DIR: the submitting request's id shows in the worker's JSON log lines for
that job, and a backend process's /metrics adds up its own counts and the worker's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.db import make_engine
from pixel_studio.logging_setup import request_context
from pixel_studio.migrations import upgrade
from pixel_studio.models import GenerationJob
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url
from tests.redis_fixtures import claimed_redis_db
from tests.services.generation_helpers import make_user
from tests.workers.celery_harness import REPO, Worker

pytestmark = pytest.mark.timeout(180)


@dataclass
class Stack:
    env: dict[str, str]
    settings: Settings
    engine: Engine
    worker: Worker
    prom_dir: Path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("observability")
    prom_dir = tmp / "prom"
    prom_dir.mkdir()
    name = create_pg_database()
    try:
        url = pg_url(name)
        upgrade(url)
        engine = make_engine(url)
        with claimed_redis_db() as redis_url:
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "DATA_DIR": str(tmp),
                "SECRET_KEY": "observability-test",
                "CELERY_QUEUE": f"ps-obs-{name}",
                "EVENTS_KEY": f"ps-obs-events-{name}",
                "LOG_FORMAT": "json",
                "PROMETHEUS_MULTIPROC_DIR": str(prom_dir),
            }
            settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
            worker = Worker(env, env["CELERY_QUEUE"], tmp)
            try:
                worker.wait_ready(60)
                yield Stack(env, settings, engine, worker, prom_dir)
            finally:
                worker.stop()
                engine.dispose()
    finally:
        drop_pg_database(name)


def wait_for_status(engine: Engine, job_id: str, status: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as session:
            job = session.get(GenerationJob, job_id)
            if job is not None and job.status == status:
                return
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {status}")


def json_records(text: str) -> list[dict[str, Any]]:
    """The worker's log lines (Celery's start-up banner is printed, not logged: skipped)."""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def test_worker_logs_carry_the_submitting_request_id_and_metrics_add_up(stack: Stack) -> None:
    with Session(stack.engine, expire_on_commit=False) as session:
        uid = make_user(session, f"obs{uuid.uuid4().hex[:6]}", 5)
        with request_context() as rid:
            job = generation.create_job(
                session,
                uid,
                {"model": "local-sketch", "prompt": "a harbour at dawn", "size": "256x256"},
                stack.settings,
            )
    wait_for_status(stack.engine, job.id, "succeeded")

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [r for r in json_records(stack.worker.log()) if job.id in str(r.get("message"))]
        if any("worker done" in r["message"] for r in lines):
            break
        time.sleep(0.2)
    assert [r["message"] for r in lines] == [
        f"job {job.id}: worker starts",
        f"job {job.id}: worker done",
    ]
    assert {r["request_id"] for r in lines} == {rid}
    worker_pids = {r["process"] for r in lines}
    assert all(r["level"] == "INFO" and r["logger"] == "workers.tasks" for r in lines)
    # Every logged line of the worker is JSON, "ready." included (what the harness waits on).
    assert any(" ready." in r["message"] for r in json_records(stack.worker.log()))

    # A backend process (not the worker) answers a request, then serves /metrics: its own
    # request and the worker's job are both in it.
    script = (
        "from fastapi.testclient import TestClient\n"
        "from pixel_studio.api import create_api\n"
        "c = TestClient(create_api())\n"
        "assert c.get('/healthz').status_code == 200\n"
        "r = c.get('/metrics')\n"
        "assert r.status_code == 200, r.text\n"
        "print(r.text)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, **stack.env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(result.stdout)
        for s in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("pixel_studio_http_requests_total", method="GET", route="/healthz", status="200")
    assert value("pixel_studio_http_request_duration_seconds_count", method="GET", route="/healthz")
    assert value("pixel_studio_jobs_total", status="succeeded") == 1
    assert value("pixel_studio_job_duration_seconds_count") == 1
    assert value("pixel_studio_provider_errors_total", kind="RateLimited") == 0
    assert value("pixel_studio_queue_depth") == 0
    assert ("pixel_studio_tabs_registered", ()) in samples
    assert value("pixel_studio_cache_lookups_total", result="hit") >= 0
    # Counters from at least two processes: the worker's pool child and the backend's.
    files = {p.name for p in stack.prom_dir.iterdir()}
    pids = {name.rsplit("_", 1)[-1].removesuffix(".db") for name in files}
    assert len(pids) >= 2, files
    assert {str(p) for p in worker_pids} <= pids
