"""Claiming a generation job and holding it: the lease, the fence on every write, and the
heartbeat that renews the lease while a provider call runs (services/studio/jobs.run_job uses them).

The claim is a conditional UPDATE (queued -> running, or take-over of a running job whose lease
has expired) that bumps `attempts`; that number then fences every later write of the holder.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from pixel_studio.db import session_scope, utcnow
from pixel_studio.models import GenerationJob, ImageSet, JobStatus
from pixel_studio.settings import Settings

log = logging.getLogger("pixel_studio.services.studio.jobs")


class Stopped(Exception):
    """The job was cancelled or taken over by another worker: stop quietly."""


@dataclass(frozen=True)
class Claim:
    job_id: str
    user_id: int
    token: int  # `attempts` after our claim: fences all our later writes
    done: int
    total: int
    params: dict[str, Any]
    set_id: int


def lease_deadline(settings: Settings) -> datetime:
    return utcnow() + timedelta(seconds=settings.job_lease_seconds)


def claim_job(engine: Engine, job_id: str, settings: Settings) -> Claim | None:
    now = utcnow()
    job = GenerationJob
    with session_scope(engine) as session:
        row = session.execute(
            update(job)
            .where(
                col(job.id) == job_id,
                or_(
                    col(job.status) == JobStatus.queued,
                    (col(job.status) == JobStatus.running)
                    & or_(col(job.lease_until).is_(None), col(job.lease_until) < now),
                ),
            )
            .values(
                status=JobStatus.running,
                attempts=col(job.attempts) + 1,
                lease_until=lease_deadline(settings),
                started_at=func.coalesce(col(job.started_at), now),  # a take-over keeps it
            )
            .returning(
                col(job.user_id), col(job.attempts), col(job.done), col(job.total), col(job.params)
            )
        ).one_or_none()
        if row is None:
            return None
        set_id = session.exec(select(ImageSet.id).where(ImageSet.job_id == job_id)).one()
    user_id, token, done, total, params = row
    if token > 1:
        log.warning("job %s: taking over after an expired lease at %d/%d", job_id, done, total)
    assert set_id is not None
    return Claim(job_id, user_id, token, done, total, dict(params), set_id)


def guard(claim: Claim) -> Any:
    """WHERE clause for every write a claim holder makes: still running and still ours."""
    return (
        (col(GenerationJob.id) == claim.job_id)
        & (col(GenerationJob.status) == JobStatus.running)
        & (col(GenerationJob.attempts) == claim.token)
    )


def renew(engine: Engine, claim: Claim, settings: Settings) -> None:
    with session_scope(engine) as session:
        row = session.execute(
            update(GenerationJob)
            .where(guard(claim))
            .values(lease_until=lease_deadline(settings))
            .returning(col(GenerationJob.id))
        ).one_or_none()
    if row is None:
        raise Stopped


class Heartbeat:
    """Renews the claim's lease every third of it from a thread while the worker runs.

    The lease is otherwise renewed only between images, and one provider call can take as long
    as the provider timeout (a local model, longer): without this, a slow call could see its job
    taken over by another delivery and the paid image thrown away. A renewal that matches no
    row means the job was cancelled or taken over; `check()` then stops the worker.
    """

    def __init__(self, engine: Engine, claim: Claim, settings: Settings) -> None:
        self._engine, self._claim, self._settings = engine, claim, settings
        self._interval = settings.job_lease_seconds / 3
        self._done = threading.Event()
        self._lost = False
        self._thread = threading.Thread(
            target=self._beat, name=f"lease-{claim.job_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def check(self) -> None:
        if self._lost:
            raise Stopped

    def _beat(self) -> None:
        while not self._done.wait(self._interval):
            try:
                renew(self._engine, self._claim, self._settings)
            except Stopped:
                self._lost = True
                return
            except Exception:
                # A database blip: the lease still has two intervals to run; try again.
                log.warning("job %s: lease renewal failed", self._claim.job_id, exc_info=True)
