"""Backpressure: refuse a new job while its owner or the whole queue has too much waiting.

`admit` runs at the start of every submission (text, edit, compare), in the caller's
transaction and before the debit, so a refusal (`Busy`) has charged nothing and written no row:
- one user may have at most MAX_ACTIVE_JOBS_PER_USER jobs queued or running;
- past MAX_QUEUED_JOBS queued jobs (everyone's), or a full in-process queue in the embedded
  profile, every new job is refused with "busy, try again in N s".

The counts come from the database, the truth on both profiles and for every backend process.
On PostgreSQL the user's row is locked first (FOR UPDATE, held to the caller's commit), so two
submissions of one user are counted one after the other and cannot both take the last place.
SQLite has no row locks; its writers are serialised, and the embedded profile is one process.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from pixel_studio import job_queue
from pixel_studio.models import GenerationJob, JobStatus, User
from pixel_studio.services.errors import Busy
from pixel_studio.settings import Settings

ACTIVE = (JobStatus.queued, JobStatus.running)


def active_jobs(session: Session, user_id: int) -> int:
    """The user's jobs queued or running."""
    return session.exec(
        select(func.count())
        .select_from(GenerationJob)
        .where(col(GenerationJob.user_id) == user_id, col(GenerationJob.status).in_(ACTIVE))
    ).one()


def queued_jobs(session: Session) -> int:
    """Everyone's jobs waiting for a worker (the status index answers it)."""
    return session.exec(
        select(func.count())
        .select_from(GenerationJob)
        .where(col(GenerationJob.status) == JobStatus.queued)
    ).one()


def admit(session: Session, user_id: int, settings: Settings, *, jobs: int = 1) -> None:
    """Raise Busy if `jobs` more jobs of this user must wait; else return, having written
    nothing (on PostgreSQL the user's row stays locked until the caller commits)."""
    wait = settings.busy_retry_after_seconds
    session.exec(select(User.id).where(col(User.id) == user_id).with_for_update()).first()
    limit = settings.max_active_jobs_per_user
    active = active_jobs(session, user_id)
    if active + jobs > limit:
        what = "job" if limit == 1 else "jobs"
        raise Busy(
            f"You already have {active} of at most {limit} {what} queued or running. "
            f"Busy, try again in {wait} s (or when one of them has finished).",
            wait,
        )
    full = queued_jobs(session) + jobs > settings.max_queued_jobs
    if not full and not job_queue.uses_celery(settings):
        backlog = job_queue.queue_depth(settings) or 0
        full = backlog + jobs > settings.embedded_queue_size
    if full:
        raise Busy(f"Too many images are being made right now. Busy, try again in {wait} s.", wait)
