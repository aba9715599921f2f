"""The job queue: the embedded runner (the same run_job on in-process threads, no broker),
the choice of Celery, and the recovery of lost deliveries (services/operations/job_recovery.py)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from pixel_studio import job_queue
from pixel_studio.db import utcnow
from pixel_studio.models import GenerationJob, JobStatus
from pixel_studio.services.operations import job_recovery
from pixel_studio.services.studio import jobs
from pixel_studio.settings import Settings
from tests.services.generation_helpers import make_user, submit_job


def test_embedded_profile_runs_jobs_on_worker_threads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ran: list[tuple[str, str]] = []
    both = threading.Barrier(3, timeout=10)

    def fake_run_job(job_id: str) -> None:
        ran.append((job_id, threading.current_thread().name))
        both.wait()  # two jobs at once: the pool really has two threads

    monkeypatch.setattr(jobs, "run_job", fake_run_job)
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert not job_queue.uses_celery(settings)
    jobs.enqueue_job("a", settings)
    jobs.enqueue_job("b", settings)
    both.wait()
    job_queue.shutdown()
    assert sorted(j for j, _ in ran) == ["a", "b"]
    assert all(name.startswith("pixel-job") for _, name in ran)


def test_a_broker_setting_selects_celery(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/14"
    )
    assert job_queue.uses_celery(settings)
    assert type(job_queue.get_queue(settings)).__name__ == "CeleryQueue"


def test_the_queue_never_logs_a_password_reset_login(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    done = threading.Event()
    with caplog.at_level("INFO", logger="pixel_studio.job_queue"):
        job_queue.send(
            job_queue.PASSWORD_RESET_TASK_NAME,
            "secret@example.com",
            run=lambda _login: done.set(),
            settings=settings,
        )
        assert done.wait(10)
        job_queue.shutdown()
    assert "in-process worker done" in caplog.text
    assert "secret@example.com" not in caplog.text


def test_requeue_stale_finds_lost_jobs(
    monkeypatch: pytest.MonkeyPatch, db: Engine, session: Session, settings: Settings
) -> None:
    uid = make_user(session, "stale", 10)
    lost_running = submit_job(session, uid, settings)
    lost_queued = submit_job(session, uid, settings)
    fresh = submit_job(session, uid, settings)
    long_ago = utcnow() - timedelta(hours=1)
    session.execute(
        update(GenerationJob)
        .where(col(GenerationJob.id) == lost_running.id)
        .values(status=JobStatus.running, lease_until=long_ago)
    )
    session.execute(
        update(GenerationJob)
        .where(col(GenerationJob.id) == lost_queued.id)
        .values(created_at=long_ago)
    )
    session.commit()
    sent: list[str] = []
    monkeypatch.setattr(jobs, "enqueue_job", lambda job_id, _settings=None: sent.append(job_id))
    found = job_recovery.requeue_stale(settings, engine=db)
    assert sorted(found) == sorted(sent) == sorted([lost_running.id, lost_queued.id])
    assert fresh.id not in found
    # At start-up of the embedded profile every queued job is stale: its worker thread died
    # with the previous process.
    sent.clear()
    at_start = job_recovery.requeue_stale(settings, engine=db, queued_for=0)
    assert fresh.id in at_start and sorted(at_start) == sorted(sent)
