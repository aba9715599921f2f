"""run_job: images, files, events, retries, failures, cancellation, duplicates, take-over.

Runs on SQLite and PostgreSQL with the real local-sketch provider and a LocalStorage in a
temporary folder. Failures are staged with a provider wrapper raising the real typed errors.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.db import utcnow
from pixel_studio.models import GenerationJob, ImageSet, JobStatus
from pixel_studio.providers import ModerationRefused, RateLimited
from pixel_studio.services.studio import generation, images
from pixel_studio.services.studio.jobs import GENERIC_FAILURE, backoff_delay, run_job, stale_job_ids
from pixel_studio.settings import Settings
from pixel_studio.storage.images import read_parameters
from pixel_studio.storage.local import LocalStorage
from tests.services.generation_helpers import (
    Events,
    ScriptedProvider,
    balance,
    count,
    fresh_job,
    images_of,
    ledger,
    make_user,
    raising,
    submit_job,
)


def _run(db: Engine, settings: Settings, storage: LocalStorage, job_id: str, **kw: Any) -> None:
    kw.setdefault("sleep", lambda _s: None)
    kw.setdefault("publish", Events())
    run_job(job_id, engine=db, settings=settings, storage=storage, **kw)


def _files(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.media_dir.rglob("*") if p.is_file())


def test_job_makes_images_files_and_events(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "alice", 5)
    job = submit_job(session, uid, settings, count=3, seed=41, style_preset="anime")
    events = Events()
    _run(db, settings, storage, job.id, publish=events)

    done = fresh_job(session, job.id)
    assert (done.status, done.done, done.attempts, done.lease_until) == ("succeeded", 3, 1, None)
    assert done.started_at and done.finished_at
    assert events.trail() == [("running", 0), ("running", 1), ("running", 2), ("succeeded", 3)]
    images = images_of(session, job.id)
    assert [e.image_ids for e in events[1:]] == [[i.id] for i in images]
    assert [i.seed for i in images] == [41, 42, 43]  # a fixed seed advances per image
    for image in images:
        assert (image.width, image.height, image.private) == (256, 256, False)
        assert storage.exists(image.original_key) and storage.exists(image.thumbnail_key)
        chunks = read_parameters(storage.get(image.original_key))
        assert chunks["prompt"] == "a red fox in a forest" and chunks["seed"] == image.seed
        assert chunks["model"] == "local-sketch" and chunks["style_preset"] == "anime"
        assert storage.get(image.thumbnail_key)[8:12] == b"WEBP"
    assert len(_files(settings)) == 6
    assert balance(session, uid) == 2 and generation.ledger_mismatches(session) == []


def test_random_seed_is_recorded_per_image(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "bea", 5)
    job = submit_job(session, uid, settings, count=2)
    _run(db, settings, storage, job.id, publish=Events())
    seeds = [i.seed for i in images_of(session, job.id)]
    assert all(s is not None for s in seeds) and seeds[0] != seeds[1]


def test_permanent_failure_fails_with_message_and_refunds_the_rest(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "carl", 5)
    job = submit_job(session, uid, settings, count=3)
    provider = ScriptedProvider(raising(ModerationRefused(), on_index=1))
    events = Events()
    _run(db, settings, storage, job.id, publish=events, provider_for=lambda _m: provider)

    failed = fresh_job(session, job.id)
    assert (failed.status, failed.done, failed.credits_refunded) == ("failed", 1, 2)
    assert failed.error == ModerationRefused.default_message
    assert provider.calls == [0, 1]  # permanent: no retry
    assert ledger(session, uid) == [("bonus", 5), ("spend", -3), ("refund", 2)]
    assert balance(session, uid) == 4 and generation.ledger_mismatches(session) == []
    last = events[-1]
    assert (last.status, last.done, last.balance) == ("failed", 1, 4)
    assert last.message == f"{ModerationRefused.default_message} 2 credits refunded."
    assert len(images_of(session, job.id)) == 1


def test_transient_errors_are_retried_with_backoff(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "dora", 5)
    job = submit_job(session, uid, settings, count=2)
    provider = ScriptedProvider(raising(RateLimited(), on_index=0, times=2))
    slept: list[float] = []
    run = {"publish": Events(), "provider_for": lambda _m: provider, "sleep": slept.append}
    _run(db, settings, storage, job.id, **run)
    assert fresh_job(session, job.id).status == "succeeded"
    assert provider.calls == [0, 0, 0, 1]
    assert len(slept) == 2 and 0.25 <= slept[0] <= 0.5 and 0.5 <= slept[1] <= 1.0


def test_out_of_retries_fails_and_refunds_everything(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "ezra", 5)
    job = submit_job(session, uid, settings, count=2)
    provider = ScriptedProvider(raising(RateLimited("Busy.")))
    _run(db, settings, storage, job.id, publish=Events(), provider_for=lambda _m: provider)
    failed = fresh_job(session, job.id)
    assert (failed.status, failed.error, failed.credits_refunded) == ("failed", "Busy.", 2)
    assert provider.calls == [0] * (settings.generation_max_retries + 1)
    assert balance(session, uid) == 5 and generation.ledger_mismatches(session) == []


def test_unexpected_error_fails_generically_never_stays_running(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "finn", 5)
    job = submit_job(session, uid, settings, count=2)

    def boom(_index: int, _attempt: int) -> None:
        raise RuntimeError("bug")

    provider = ScriptedProvider(boom)
    _run(db, settings, storage, job.id, publish=Events(), provider_for=lambda _m: provider)
    failed = fresh_job(session, job.id)
    assert (failed.status, failed.error, failed.credits_refunded) == ("failed", GENERIC_FAILURE, 2)
    assert balance(session, uid) == 5


def test_cancel_mid_run_stops_and_refunds_the_rest_once(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "gwen", 5)
    job = submit_job(session, uid, settings, count=4)
    events = Events()

    def cancel_on_second(index: int, _attempt: int) -> None:
        if index == 1:  # the user presses Cancel while image 2 is being drawn
            with Session(db) as other:
                generation.cancel(other, uid, job.id, publish=events)

    provider = ScriptedProvider(cancel_on_second)
    _run(db, settings, storage, job.id, publish=events, provider_for=lambda _m: provider)

    cancelled = fresh_job(session, job.id)
    assert (cancelled.status, cancelled.done, cancelled.credits_refunded) == ("cancelled", 1, 3)
    assert provider.calls == [0, 1]
    assert len(images_of(session, job.id)) == 1
    assert len(_files(settings)) == 2  # image 2's files were deleted, not left orphaned
    assert ledger(session, uid) == [("bonus", 5), ("spend", -4), ("refund", 3)]
    assert balance(session, uid) == 4 and generation.ledger_mismatches(session) == []
    assert events.trail() == [("running", 0), ("running", 1), ("cancelled", 1)]
    _run(db, settings, storage, job.id, publish=events)  # a late redelivery does nothing
    assert fresh_job(session, job.id).status == "cancelled" and len(events) == 3


def test_cancelled_while_queued_is_never_run(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "hana", 5)
    job = submit_job(session, uid, settings, count=2)
    generation.cancel(session, uid, job.id, publish=Events())
    events = Events()
    _run(db, settings, storage, job.id, publish=events)
    assert events == [] and images_of(session, job.id) == [] and _files(settings) == []


def test_duplicate_deliveries_make_one_set(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "ivan", 5)
    job = submit_job(session, uid, settings, count=3)
    args = (db, settings, storage, job.id)
    threads = [threading.Thread(target=_run, args=args) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    _run(db, settings, storage, job.id, publish=Events())  # and one more after the end
    finished = fresh_job(session, job.id)
    assert (finished.status, finished.done, finished.attempts) == ("succeeded", 3, 1)
    assert count(session, ImageSet, job_id=job.id) == 1 and len(images_of(session, job.id)) == 3
    assert len(_files(settings)) == 6
    assert ledger(session, uid) == [("bonus", 5), ("spend", -3)]


class WorkerDied(BaseException):
    """Stands in for a SIGKILL: nothing in run_job may catch it (it is not an Exception)."""


def test_expired_lease_is_taken_over_and_resumed(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    uid = make_user(session, "joan", 5)
    job = submit_job(session, uid, settings, count=3, seed=7)

    def die_on_second(index: int, _attempt: int) -> None:
        if index == 1:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        provider = ScriptedProvider(die_on_second)
        _run(db, settings, storage, job.id, publish=Events(), provider_for=lambda _m: provider)
    stuck = fresh_job(session, job.id)
    assert (stuck.status, stuck.done, stuck.attempts) == ("running", 1, 1)

    events = Events()
    _run(db, settings, storage, job.id, publish=events)  # the lease is live: hands off
    assert events == [] and fresh_job(session, job.id).attempts == 1
    assert stale_job_ids(session) == []

    past = utcnow() - timedelta(seconds=1)
    session.execute(update(GenerationJob).values(lease_until=past))
    session.commit()
    assert stale_job_ids(session) == [job.id]
    _run(db, settings, storage, job.id, publish=events)
    resumed = fresh_job(session, job.id)
    assert (resumed.status, resumed.done, resumed.attempts) == ("succeeded", 3, 2)
    assert events.trail() == [("running", 1), ("running", 2), ("succeeded", 3)]
    assert [i.seed for i in images_of(session, job.id)] == [7, 8, 9]
    assert count(session, ImageSet, job_id=job.id) == 1
    assert ledger(session, uid) == [("bonus", 5), ("spend", -3)]  # charged once


def test_a_worker_that_lost_its_lease_stops_at_its_next_write(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    """A slow worker whose job was taken over must not add images: the claim token fences."""
    uid = make_user(session, "kim", 5)
    job = submit_job(session, uid, settings, count=3)

    def taken_over_on_second(index: int, _attempt: int) -> None:
        if index == 1:  # meanwhile another worker takes over (attempts becomes 2)
            with Session(db) as other:
                other.execute(update(GenerationJob).values(attempts=GenerationJob.attempts + 1))
                other.commit()

    provider = ScriptedProvider(taken_over_on_second)
    _run(db, settings, storage, job.id, publish=Events(), provider_for=lambda _m: provider)
    stale = fresh_job(session, job.id)
    assert (stale.status, stale.done) == ("running", 1)
    assert len(images_of(session, job.id)) == 1 and len(_files(settings)) == 2


def test_backoff_grows_with_jitter_and_respects_caps(settings: Settings) -> None:
    for attempt, (low, high) in enumerate([(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)]):
        delays = {backoff_delay(attempt, settings) for _ in range(20)}
        assert all(low <= d <= high for d in delays) and len(delays) > 1
    assert backoff_delay(30, settings) <= settings.generation_retry_max_delay
    assert backoff_delay(0, settings, retry_after=5) == 5
    assert backoff_delay(0, settings, retry_after=1e6) == settings.generation_retry_max_delay
    assert JobStatus.running == "running"


def test_a_slow_provider_call_keeps_its_lease(
    db: Engine, session: Session, tmp_path: Path, storage: LocalStorage
) -> None:
    """One provider call longer than the lease: the heartbeat renews it, so another delivery
    arriving meanwhile finds the job claimed and the paid image is kept."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        data_dir=tmp_path,
        secret_key="test-secret",
        provider_timeout_seconds=1.0,
        job_lease_seconds=1.5,
    )
    uid = make_user(session, "lena", 5)
    job = submit_job(session, uid, settings, count=2)
    intruder = Events()

    def slow_first_image(index: int, attempt: int) -> None:
        if index == 0 and attempt == 0:
            deadline = time.monotonic() + 3 * settings.job_lease_seconds
            while time.monotonic() < deadline:  # a second delivery keeps knocking
                _run(db, settings, storage, job.id, publish=intruder)
                time.sleep(0.2)

    provider = ScriptedProvider(slow_first_image)
    events = Events()
    _run(db, settings, storage, job.id, publish=events, provider_for=lambda _m: provider)
    finished = fresh_job(session, job.id)
    assert (finished.status, finished.done, finished.attempts) == ("succeeded", 2, 1)
    assert intruder == [] and provider.calls == [0, 1]
    assert events.trail() == [("running", 0), ("running", 1), ("succeeded", 2)]
    assert len(images_of(session, job.id)) == 2 and len(_files(settings)) == 4


def test_the_lease_must_outlast_the_provider_timeout(tmp_path: Path) -> None:
    base: dict[str, Any] = {"_env_file": None, "data_dir": tmp_path}
    derived = Settings(**base, provider_timeout_seconds=200)
    assert derived.job_lease_seconds > 200
    with pytest.raises(ValidationError, match="JOB_LEASE_SECONDS"):
        Settings(**base, provider_timeout_seconds=120, job_lease_seconds=120)


def test_remix_whose_parent_is_deleted_during_the_job_still_succeeds(
    db: Engine, session: Session, settings: Settings, storage: LocalStorage
) -> None:
    """The parent FK is ON DELETE SET NULL: a remix outlives its parent, so the worker must not
    insert a parent_id that no longer exists (an FK error on both databases)."""
    uid = make_user(session, "mona", 5)
    first = submit_job(session, uid, settings, count=1)
    _run(db, settings, storage, first.id)
    parent_id = images_of(session, first.id)[0].id
    assert parent_id is not None
    remix = submit_job(session, uid, settings, count=2, parent_image_id=parent_id)

    def delete_parent_on_second(index: int, attempt: int) -> None:
        if index == 1 and attempt == 0:
            with Session(db, expire_on_commit=False) as other:
                images.delete_image(other, storage, uid, parent_id)

    provider = ScriptedProvider(delete_parent_on_second)
    _run(db, settings, storage, remix.id, provider_for=lambda _m: provider)
    finished = fresh_job(session, remix.id)
    assert (finished.status, finished.done, finished.error) == ("succeeded", 2, None)
    session.expire_all()
    assert [i.parent_id for i in images_of(session, remix.id)] == [None, None]
