"""Backpressure: a user's active jobs and everyone's queued jobs are capped, the refusal comes
before any charge or row, and the in-process queue is bounded. SQLite and PostgreSQL.

Workers are "held busy" by not running the jobs (the enqueue records them; they stay queued) or,
for the embedded runner, by real pool threads blocked inside the job.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from pixel_studio import job_queue
from pixel_studio.cache import MemoryCache
from pixel_studio.models import CreditTransaction, GenerationJob, ImageSet, JobStatus
from pixel_studio.services import rate_limits
from pixel_studio.services.errors import Busy
from pixel_studio.services.operations import job_recovery
from pixel_studio.services.studio import compare, editing, generation, jobs
from pixel_studio.settings import Settings
from pixel_studio.state.job_form import refusal
from pixel_studio.storage.local import LocalStorage
from tests.services.editing_helpers import png
from tests.services.generation_helpers import Events, balance, count, ledger, make_user

FORM = {"model": "local-sketch", "prompt": "a red fox in a forest", "size": "256x256"}


def _create(session: Session, uid: int, settings: Settings, **kw: Any) -> GenerationJob:
    kw.setdefault("enqueue", lambda _job_id: None)  # no worker takes it: it stays queued
    kw.setdefault("publish", Events())
    return generation.create_job(session, uid, dict(FORM), settings, **kw)


def _rows(session: Session) -> tuple[int, int, int]:
    tables = (GenerationJob, ImageSet, CreditTransaction)
    jobs_, sets_, ledger_ = (count(session, t) for t in tables)
    return jobs_, sets_, ledger_


def _set_status(session: Session, job_id: str, status: JobStatus) -> None:
    session.execute(
        update(GenerationJob).where(col(GenerationJob.id) == job_id).values(status=status)
    )
    session.commit()


def test_a_users_fifth_active_job_is_refused_before_any_charge(
    session: Session, settings: Settings
) -> None:
    assert settings.max_active_jobs_per_user == 4  # the documented default
    uid = make_user(session, "flood", 20)
    made = [_create(session, uid, settings) for _ in range(4)]
    _set_status(session, made[0].id, JobStatus.running)  # running counts as much as queued
    before = _rows(session)
    with pytest.raises(Busy) as refused:
        _create(session, uid, settings)
    assert refused.value.retry_after == settings.busy_retry_after_seconds == 30
    assert "4 of at most 4 jobs" in refused.value.message
    assert "try again in 30 s" in refused.value.message
    session.rollback()
    assert _rows(session) == before and balance(session, uid) == 16
    # The create form shows it as a toast on the form (state/job_form.refusal).
    assert refusal(refused.value, "x") == {"form": refused.value.message}
    # Another user is not held back by this one.
    other = make_user(session, "calm", 5)
    _create(session, other, settings)
    # Once one of the four ends, there is room again.
    _set_status(session, made[0].id, JobStatus.succeeded)
    _create(session, uid, settings)
    assert ledger(session, uid)[-1] == ("spend", -1)


def test_past_the_global_queue_depth_everyone_is_refused(
    session: Session, settings: Settings
) -> None:
    settings = settings.model_copy(update={"max_queued_jobs": 3})
    users = [make_user(session, f"user{i}", 5) for i in range(4)]
    first = [_create(session, uid, settings) for uid in users[:3]]
    before = _rows(session)
    with pytest.raises(Busy, match="Too many images are being made right now"):
        _create(session, users[3], settings)
    session.rollback()
    assert _rows(session) == before and balance(session, users[3]) == 5
    _set_status(session, first[0].id, JobStatus.running)  # a worker took one: depth 2
    _create(session, users[3], settings)


def test_a_comparison_counts_each_column(session: Session, settings: Settings) -> None:
    settings = settings.model_copy(update={"max_active_jobs_per_user": 2})
    uid = make_user(session, "cmp", 50)
    with pytest.raises(Busy):
        compare.create_compare(
            session,
            uid,
            {"prompt": "a lighthouse", "size": "256x256", "model": "local-sketch"},
            ["1", "2", "3"],
            settings,
            vary="seed",
            limiter=rate_limits.limiter_for(MemoryCache()),
            enqueue=lambda _job_id: None,
            publish=Events(),
        )
    session.rollback()
    assert _rows(session) == (0, 0, 1) and balance(session, uid) == 50  # only the bonus row


def test_an_edit_is_refused_before_its_upload_is_stored(
    session: Session, settings: Settings, storage: LocalStorage
) -> None:
    settings = settings.model_copy(update={"max_active_jobs_per_user": 1})
    uid = make_user(session, "edit", 20)
    _create(session, uid, settings)
    before = _rows(session)
    data = {"operation": "image-to-image", "model": "local-sketch", "prompt": "x"}
    with pytest.raises(Busy):
        editing.create_edit_job(
            session,
            uid,
            data,
            settings,
            upload=png(),
            storage=storage,
            enqueue=lambda _job_id: None,
            publish=Events(),
        )
    session.rollback()
    assert _rows(session) == before and balance(session, uid) == 19
    files = [p for p in settings.media_dir.rglob("*") if p.is_file()]
    assert files == []


def test_a_full_queue_at_enqueue_refunds_and_says_busy(
    session: Session, settings: Settings
) -> None:
    """The race past the check (or a restart's requeue filling the queue first): the job is
    failed and refunded at once and the person reads "busy", as on the check."""
    uid = make_user(session, "race", 5)

    def full(_job_id: str) -> None:
        raise job_queue.QueueFull("full")

    events = Events()
    with pytest.raises(Busy, match="credits were refunded"):
        _create(session, uid, settings, enqueue=full, publish=events)
    assert balance(session, uid) == 5
    assert [e.status for e in events] == ["queued", "failed"]


@pytest.fixture
def held_runner(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real in-process pool with its two threads held inside a job until released."""
    release = threading.Event()
    started: list[str] = []

    def busy_job(job_id: str) -> None:
        started.append(job_id)
        release.wait(30)

    monkeypatch.setattr(jobs, "run_job", busy_job)
    job_queue.shutdown()
    yield started, release
    release.set()
    job_queue.shutdown()


def test_the_embedded_queue_is_bounded_with_its_workers_held_busy(
    session: Session, settings: Settings, tmp_path: Path, held_runner: Any
) -> None:
    started, release = held_runner
    settings = settings.model_copy(update={"embedded_queue_size": 2})
    assert not job_queue.uses_celery(settings)
    users = [make_user(session, f"emb{i}", 5) for i in range(5)]
    enqueue = lambda job_id: jobs.enqueue_job(job_id, settings)  # noqa: E731
    for uid in users[:2]:  # both threads take one and stay busy
        _create(session, uid, settings, enqueue=enqueue)
    deadline = time.monotonic() + 10
    while len(started) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(started) == 2
    for uid in users[2:4]:  # these two wait in the pool's queue
        _create(session, uid, settings, enqueue=enqueue)
    assert job_queue.queue_depth(settings) == 2
    before = _rows(session)
    t0 = time.perf_counter()
    with pytest.raises(Busy, match="try again in 30 s"):
        _create(session, users[4], settings, enqueue=enqueue)
    refused_in = time.perf_counter() - t0
    session.rollback()
    assert _rows(session) == before and balance(session, users[4]) == 5
    assert refused_in < 1.0  # a refusal is a few counts, not a wait
    with pytest.raises(job_queue.QueueFull):  # the bound itself, past the check
        jobs.enqueue_job("extra", settings)
    release.set()
    job_queue.shutdown()
    assert len(started) == 4 and "extra" not in started


def test_requeue_after_a_restart_stops_at_the_bound(
    db: Engine, session: Session, settings: Settings, held_runner: Any
) -> None:
    started, _release = held_runner
    settings = settings.model_copy(update={"embedded_queue_size": 1})
    users = [make_user(session, f"req{i}", 5) for i in range(5)]
    queued = [_create(session, uid, settings) for uid in users]  # never enqueued: "lost"
    sent = job_recovery.requeue_stale(settings, db, queued_for=0.0)
    # Two taken by the threads, one waiting; the others stay queued for a later pass.
    assert 1 <= len(sent) <= 3 and set(sent) <= {j.id for j in queued}
