"""Account jobs: a data export (services/accounts/export.py) or an account deletion
(services/accounts/account.py), run by the queue like a generation job (account_job_runner.py: the
runner sits above both services, which use this module's bookkeeping).

The row is the truth: a page reads it on load, events only move a page on between reads.
Delivery is at least once, so each run starts with a claim (one conditional UPDATE): a second
delivery of a job that another worker is running does nothing, and one whose worker died
(still `running` long after it started) is taken over; both jobs are safe to run again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from pixel_studio.db import utcnow
from pixel_studio.events import AccountJobEvent
from pixel_studio.models import AccountJob, AccountJobKind, JobStatus

log = logging.getLogger(__name__)

ACTIVE = (JobStatus.queued, JobStatus.running)
# A run that has not finished this long after its claim is taken to be dead (the worker was
# killed): the next delivery or the periodic requeue takes it over.
STALE_AFTER = timedelta(minutes=30)
Publish = Callable[[AccountJobEvent], None]


def new_job(session: Session, user_id: int, kind: AccountJobKind, total: int = 0) -> AccountJob:
    """A queued job row. Caller commits, then enqueues."""
    job = AccountJob(id=uuid.uuid4().hex, user_id=user_id, kind=kind, total=total)
    session.add(job)
    session.flush()
    return job


def active_job(session: Session, user_id: int, kind: AccountJobKind) -> AccountJob | None:
    return session.exec(
        select(AccountJob)
        .where(
            AccountJob.user_id == user_id,
            AccountJob.kind == kind,
            col(AccountJob.status).in_(ACTIVE),
        )
        .order_by(col(AccountJob.created_at).desc())
    ).first()


def claim(session: Session, job_id: str) -> AccountJob | None:
    """Move the job to running and return it; None if it is finished or live elsewhere.
    Commits. `created_at` is reset to the claim time so STALE_AFTER counts from it."""
    now = utcnow()
    result = session.execute(
        update(AccountJob)
        .where(
            col(AccountJob.id) == job_id,
            or_(
                col(AccountJob.status) == JobStatus.queued,
                (col(AccountJob.status) == JobStatus.running)
                & (col(AccountJob.created_at) < now - STALE_AFTER),
            ),
        )
        .values(status=JobStatus.running, created_at=now)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(AccountJob, job_id, populate_existing=True)


def event_of(job: AccountJob) -> AccountJobEvent:
    return AccountJobEvent(
        user_id=job.user_id,
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        done=job.done,
        total=job.total,
    )


def finish(session: Session, job: AccountJob, status: JobStatus, error: str | None = None) -> None:
    """End the job. Commits."""
    job.status = status
    job.error = error[:1000] if error else None
    job.finished_at = utcnow()
    session.add(job)
    session.commit()


def stale_job_ids(session: Session, *, queued_for: timedelta) -> list[str]:
    """Jobs whose delivery was lost: queued longer than `queued_for`, or running and stale."""
    now = utcnow()
    rows = session.exec(
        select(AccountJob.id).where(
            or_(
                (col(AccountJob.status) == JobStatus.queued)
                & (col(AccountJob.created_at) <= now - queued_for),
                (col(AccountJob.status) == JobStatus.running)
                & (col(AccountJob.created_at) < now - STALE_AFTER),
            )
        )
    ).all()
    return list(rows)
