"""The production pipeline for real: Celery worker processes, Redis broker, PostgreSQL.

Each test submits through the service as the create page does, sends the task through Redis to
a `celery worker` subprocess, and follows the job's events from the Redis list the backend's
listener reads. The worker runs with a 5 s visibility timeout and a 3 s job lease so the crash
test sees a killed worker's job delivered again within seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.db import make_engine
from pixel_studio.events import EventSource
from pixel_studio.job_queue import TASK_NAME
from pixel_studio.migrations import upgrade
from pixel_studio.models import ImageSet
from pixel_studio.providers import ModerationRefused
from pixel_studio.services.studio import generation, jobs
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url
from tests.redis_fixtures import claimed_redis_db
from tests.services.generation_helpers import count, fresh_job, images_of, ledger, make_user
from tests.workers.celery_harness import EventLog, Worker, refusing_openai_peer
from workers.celery_app import make_app

pytestmark = pytest.mark.timeout(120)


@dataclass
class Pipeline:
    settings: Settings
    env: dict[str, str]
    engine: Engine
    app: Celery
    events: EventLog
    broker: redis.Redis
    peer_paths: list[str]
    log_dir: Path
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self) -> Worker:
        worker = Worker(self.env, self.settings.celery_queue, self.log_dir)
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def create_job(self, session: Session, user_id: int, sends: int = 1, **form: Any) -> str:
        """Submit as the create page does; the job goes through jobs.enqueue_job (Celery,
        since a broker is configured), plus `sends - 1` extra deliveries of the same task."""

        def enqueue_and_repeat(job_id: str) -> None:
            jobs.enqueue_job(job_id, self.settings)
            for _ in range(sends - 1):
                self.app.send_task(TASK_NAME, args=[job_id])

        data: dict[str, Any] = {"model": "local-sketch", "prompt": "a lighthouse at night"}
        data.update(form)
        job = generation.create_job(
            session, user_id, data, self.settings, enqueue=enqueue_and_repeat
        )
        return job.id

    def broker_idle(self) -> bool:
        queue = self.settings.celery_queue
        return not self.broker.llen(queue) and not self.broker.hlen("unacked")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    data_dir = tmp_path_factory.mktemp("pipeline")
    db_name = create_pg_database()
    try:
        url = pg_url(db_name)
        upgrade(url)
        engine = make_engine(url)
        with claimed_redis_db() as redis_url, refusing_openai_peer() as (peer, paths):
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "DATA_DIR": str(data_dir),
                "SECRET_KEY": "pipeline-test",
                "CELERY_QUEUE": f"ps-test-{db_name}",
                "EVENTS_KEY": f"ps-test-events-{db_name}",
                "CELERY_VISIBILITY_TIMEOUT": "5",
                "CELERY_UNACKED_RESTORE_INTERVAL": "1",
                "JOB_LEASE_SECONDS": "3",
                "PROVIDER_TIMEOUT_SECONDS": "2",  # the lease must outlast one call
                "OPENAI_API_KEY": "sk-test",
                "OPENAI_BASE_URL": peer,
                "GENERATION_RETRY_BASE_DELAY": "0.05",
            }
            settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[arg-type]
            source = EventSource(settings)
            pipe = Pipeline(
                settings=settings,
                env=env,
                engine=engine,
                app=make_app(settings),
                events=EventLog(source),
                broker=redis.Redis.from_url(redis_url),
                peer_paths=paths,
                log_dir=data_dir,
            )
            try:
                pipe.start_worker()
                yield pipe
            finally:
                for worker in pipe.workers:
                    worker.stop()
                source.close()
                pipe.broker.close()
                engine.dispose()
    finally:
        drop_pg_database(db_name)


@pytest.fixture
def session(pipeline: Pipeline) -> Iterator[Session]:
    with Session(pipeline.engine, expire_on_commit=False) as s:
        yield s


def _files_exist(pipeline: Pipeline, session: Session, job_id: str) -> int:
    storage = LocalStorage(pipeline.settings)
    images = images_of(session, job_id)
    for image in images:
        assert storage.exists(image.original_key) and storage.exists(image.thumbnail_key)
    return len(images)


def test_job_completes_with_events_in_order(pipeline: Pipeline, session: Session) -> None:
    uid = make_user(session, "ada", 5)
    job_id = pipeline.create_job(session, uid, count=3, size="256x256")
    trail = [(e.status, e.done) for e in pipeline.events.wait_end(job_id)]
    expected = [("queued", 0), ("running", 0), ("running", 1), ("running", 2)]
    assert trail == [*expected, ("succeeded", 3)]
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.attempts) == ("succeeded", 3, 1)
    assert _files_exist(pipeline, session, job_id) == 3
    assert ledger(session, uid) == [("bonus", 5), ("spend", -3)]
    assert generation.ledger_mismatches(session) == []


def test_failing_provider_fails_with_message_and_refund(
    pipeline: Pipeline, session: Session
) -> None:
    uid = make_user(session, "bert", 10)
    job_id = pipeline.create_job(session, uid, model="dall-e-2", size="256x256", count=2)
    last = pipeline.events.wait_end(job_id)[-1]
    assert (last.status, last.balance) == ("failed", 10)
    assert last.message == f"{ModerationRefused.default_message} 4 credits refunded."
    job = fresh_job(session, job_id)
    assert (job.status, job.error, job.credits_refunded) == (
        "failed",
        ModerationRefused.default_message,
        4,
    )
    assert pipeline.peer_paths == ["/v1/images/generations"]  # permanent: asked once
    assert ledger(session, uid) == [("bonus", 10), ("spend", -4), ("refund", 4)]
    assert generation.ledger_mismatches(session) == []


def test_duplicate_delivery_makes_one_set(pipeline: Pipeline, session: Session) -> None:
    uid = make_user(session, "cleo", 5)
    job_id = pipeline.create_job(session, uid, sends=2, count=3, size="256x256")
    pipeline.events.wait_end(job_id)
    _wait(pipeline.broker_idle, "both deliveries to be processed")
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.attempts) == ("succeeded", 3, 1)
    assert count(session, ImageSet, job_id=job_id) == 1
    assert _files_exist(pipeline, session, job_id) == 3
    assert ledger(session, uid) == [("bonus", 5), ("spend", -3)]


def test_killed_worker_job_completes_once_on_another(pipeline: Pipeline, session: Session) -> None:
    uid = make_user(session, "dino", 10)
    job_id = pipeline.create_job(session, uid, count=10, size="1024x1024")
    pipeline.events.wait(job_id, lambda e: e.status == "running" and e.done >= 1)
    for worker in pipeline.workers:
        worker.kill()  # SIGKILL, mid-job: nothing acknowledged, the job left "running"
    stuck = fresh_job(session, job_id)
    assert stuck.status == "running" and 1 <= stuck.done < 10

    pipeline.start_worker()  # gets the task again once the visibility timeout has passed
    events = pipeline.events.wait_end(job_id, timeout=60)
    job = fresh_job(session, job_id)
    assert (job.status, job.done, job.attempts) == ("succeeded", 10, 2)
    assert events[-1].status == "succeeded"
    # Each image announced at most once, in order (the kill may fall between an image's
    # commit and its event: the database, not the event, is the truth).
    dones = [e.done for e in events if e.image_ids]
    assert dones == sorted(set(dones)) and dones[-1] == 10
    assert count(session, ImageSet, job_id=job_id) == 1
    assert _files_exist(pipeline, session, job_id) == 10
    assert ledger(session, uid) == [("bonus", 10), ("spend", -10)]  # charged once
    assert job.credits_refunded == 0
    assert generation.ledger_mismatches(session) == []


def _wait(check: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)
