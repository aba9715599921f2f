"""Backpressure and provider limits with a real Celery worker (two pool processes), Redis and
PostgreSQL, against a loopback OpenAI-compatible endpoint that refuses above 2 requests a
second (tests/rate_limited_peer.py).

- Held busy: the endpoint holds its requests, so both worker processes sit in a job; past the
  queue depth a new job is refused as busy, before any charge or row; released, every job ends.
- Limited: PROVIDER_LIMITS gives DALL·E 2 two calls at once and two a second, shared by both
  processes through Redis: every job succeeds, the endpoint never refuses nor sees more than
  the limit, and jobs held back say "Waiting for DALL·E 2…" live.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from pixel_studio.db import make_engine
from pixel_studio.events import EventSource
from pixel_studio.migrations import upgrade
from pixel_studio.models import CreditTransaction, GenerationJob, JobStatus
from pixel_studio.services.errors import Busy
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url
from tests.rate_limited_peer import RatePeer, rate_peer
from tests.redis_fixtures import claimed_redis_db
from tests.services.generation_helpers import balance, fresh_job, make_user
from tests.workers.celery_harness import EventLog, Worker

pytestmark = pytest.mark.timeout(150)

LIMITS = '{"dall-e-2": {"concurrency": 2, "per_second": 2}}'


@dataclass
class Rig:
    settings: Settings
    engine: Engine
    events: EventLog
    peer: RatePeer


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    data_dir = tmp_path_factory.mktemp("limits")
    db_name = create_pg_database()
    try:
        url = pg_url(db_name)
        upgrade(url)
        engine = make_engine(url)
        with claimed_redis_db() as redis_url, rate_peer(per_second=2) as peer:
            env = {
                "DATABASE_URL": url,
                "REDIS_URL": redis_url,
                "CELERY_BROKER_URL": redis_url,
                "DATA_DIR": str(data_dir),
                "SECRET_KEY": "limits-test",
                "CELERY_QUEUE": f"ps-test-{db_name}",
                "EVENTS_KEY": f"ps-test-events-{db_name}",
                "OPENAI_API_KEY": "sk-test",
                "OPENAI_BASE_URL": peer.base_url,
                "PROVIDER_TIMEOUT_SECONDS": "40",  # the held-busy test holds calls a while
                "PROVIDER_LIMITS": LIMITS,
            }
            kwargs: dict[str, Any] = {k.lower(): v for k, v in env.items()}
            kwargs["provider_limits"] = json.loads(LIMITS)  # only the environment parses JSON
            settings = Settings(_env_file=None, **kwargs)  # type: ignore[call-arg]
            source = EventSource(settings)
            worker = Worker(env, settings.celery_queue, data_dir)  # prefork, two processes
            try:
                worker.wait_ready()
                yield Rig(settings, engine, EventLog(source), peer)
            finally:
                worker.stop()
                source.close()
                engine.dispose()
    finally:
        drop_pg_database(db_name)


@pytest.fixture
def session(rig: Rig) -> Iterator[Session]:
    with Session(rig.engine, expire_on_commit=False) as s:
        yield s


def _create(rig: Rig, session: Session, uid: int, settings: Settings, **form: Any) -> str:
    data: dict[str, Any] = {"model": "dall-e-2", "prompt": "a lighthouse", "size": "256x256"}
    data.update(form)
    return generation.create_job(session, uid, data, settings).id  # enqueued through Celery


def _running(session: Session) -> int:
    stmt = select(func.count()).where(col(GenerationJob.status) == JobStatus.running)
    return int(session.exec(stmt.select_from(GenerationJob)).one())


def test_busy_workers_and_a_full_queue_refuse_before_any_charge(rig: Rig, session: Session) -> None:
    rig.peer.reset()
    rig.peer.gate.clear()  # the provider holds every call: both worker processes stay busy
    settings = rig.settings.model_copy(update={"max_queued_jobs": 2})
    users = [make_user(session, f"busy{i}", 5) for i in range(5)]
    job_ids = [_create(rig, session, uid, settings) for uid in users[:2]]
    deadline = time.monotonic() + 30
    while _running(session) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(session) == 2
    job_ids += [_create(rig, session, uid, settings) for uid in users[2:4]]  # these wait
    ledger_rows = session.exec(select(func.count()).select_from(CreditTransaction)).one()
    started = time.perf_counter()
    with pytest.raises(Busy, match="try again in 30 s"):
        _create(rig, session, users[4], settings)
    took = time.perf_counter() - started
    session.rollback()
    assert balance(session, users[4]) == 5
    assert session.exec(select(func.count()).select_from(CreditTransaction)).one() == ledger_rows
    rig.peer.gate.set()
    for job_id in job_ids:
        rig.events.wait_end(job_id, timeout=60)
        assert fresh_job(session, job_id).status == "succeeded"
    print(f"\nbusy refusal with the workers held: {took * 1000:.1f} ms")


def test_a_rate_limited_model_never_sees_more_than_its_limit(rig: Rig, session: Session) -> None:
    rig.peer.reset()
    uid = make_user(session, "burst", 50)
    other = make_user(session, "burst2", 50)
    started = time.monotonic()
    job_ids = [_create(rig, session, u, rig.settings, count=2) for u in (uid, other) * 2]
    trails = {job_id: rig.events.wait_end(job_id, timeout=90) for job_id in job_ids}
    elapsed = time.monotonic() - started
    assert [fresh_job(session, j).status for j in job_ids] == ["succeeded"] * 4
    peer = rig.peer
    assert peer.refused == 0 and peer.served == 8
    assert peer.max_per_second() <= 2 and peer.max_in_flight <= 2
    messages = {e.message for trail in trails.values() for e in trail}
    assert "Waiting for DALL·E 2…" in messages
    print(
        f"\n8 images at 2/s on two processes: {elapsed:.2f} s, peer max {peer.max_per_second()}/s"
    )
