"""Job state shared by the page side and the worker side: reading a job, ending it with a
refund, the words a page shows for its end, and the ledger invariant.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.db import utcnow
from pixel_studio.events import JobEvent
from pixel_studio.models import CreditKind, GenerationJob, JobStatus, User
from pixel_studio.models.webhooks import WebhookEvent
from pixel_studio.services import credits
from pixel_studio.services.errors import NotFound
from pixel_studio.services.integrations import webhooks

ACTIVE = (JobStatus.queued, JobStatus.running)
Publish = Callable[[JobEvent], None]


def get_job(session: Session, user_id: int, job_id: str) -> GenerationJob:
    job = session.get(GenerationJob, job_id, populate_existing=True)  # fresh: workers write it
    if job is None or job.user_id != user_id:
        raise NotFound("That job does not exist.")
    return job


def close_job(
    session: Session,
    job_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    user_id: int | None = None,
    token: int | None = None,
) -> JobEvent | None:
    """End an active job as failed or cancelled and refund the images not made.

    One conditional UPDATE moves the job out of queued/running; only the caller whose UPDATE
    matched refunds, so cancel and fail (or two cancels) can never both refund. `token` (the
    claim's attempt number) makes a worker's close a no-op once another worker took the job
    over. Caller commits; returns the event to publish after the commit, or None if the job
    was no longer active.
    """
    stmt = update(GenerationJob).where(
        col(GenerationJob.id) == job_id, col(GenerationJob.status).in_(ACTIVE)
    )
    if user_id is not None:
        stmt = stmt.where(col(GenerationJob.user_id) == user_id)
    if token is not None:
        stmt = stmt.where(col(GenerationJob.attempts) == token)
    row = session.execute(
        stmt.values(status=status, error=error, finished_at=utcnow(), lease_until=None).returning(
            col(GenerationJob.user_id),
            col(GenerationJob.done),
            col(GenerationJob.total),
            col(GenerationJob.credits_charged),
        )
    ).one_or_none()
    if row is None:
        return None
    owner, done, total, charged = row
    # Charged per image at submit time: the catalog's price may have changed since.
    refund = charged // total * (total - done)
    balance: int | None = None
    if refund:
        session.execute(
            update(GenerationJob)
            .where(col(GenerationJob.id) == job_id)
            .values(credits_refunded=refund)
        )
        entry = credits.change_balance(
            session,
            owner,
            refund,
            CreditKind.refund,
            note=f"Refund: {total - done} of {total} images not made",
            job_id=job_id,
        )
        balance = entry.balance_after
    if status == JobStatus.failed:  # an API user's webhook, in this transaction (outbox)
        data = {"job_id": job_id, "status": str(status), "error": error, "done": done}
        data.update(total=total, credits_refunded=refund)
        webhooks.record(session, owner, WebhookEvent.job_failed, data)
    return JobEvent(
        job_id=job_id,
        user_id=owner,
        status=status,
        done=done,
        total=total,
        message=describe_end(status, error, refund),
        balance=balance,
    )


def describe_end(status: str, error: str | None, refunded: int) -> str:
    """The sentence a page shows for a finished job (events and reloads use the same words)."""
    refund = f" {refunded} credit{'s' if refunded != 1 else ''} refunded." if refunded else ""
    if status == JobStatus.cancelled:
        return f"Cancelled.{refund}"
    if status == JobStatus.failed:
        return f"{error or 'The job failed.'}{refund}"
    return ""


def job_message(job: GenerationJob) -> str:
    return describe_end(job.status, job.error, job.credits_refunded)


def ledger_mismatches(session: Session) -> list[tuple[int, int, int]]:
    """(user id, balance, ledger sum) for every user whose ledger does not add up. Tests and
    admin checks assert this is empty: the invariant of the credit system."""
    out = []
    for user_id, balance in session.exec(select(User.id, User.credits)).all():
        assert user_id is not None
        total = credits.ledger_sum(session, user_id)
        if total != balance:
            out.append((user_id, balance, total))
    return out
