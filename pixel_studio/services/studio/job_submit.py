"""Paying for a job and starting it: shared by text generation (services/studio/generation.py),
compare and edits (services/studio/editing.py), so every job is charged, recorded, announced and
queued the same way (DESIGN.md, "The generation flow").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from sqlmodel import Session, select

from pixel_studio.events import JobEvent
from pixel_studio.job_queue import QueueFull
from pixel_studio.models import (
    CreditKind,
    CreditTransaction,
    GenerationJob,
    ImageSet,
    JobStatus,
    User,
)
from pixel_studio.services import credits
from pixel_studio.services.errors import Busy, InsufficientCredits, InvalidInput
from pixel_studio.services.studio.job_state import Publish, close_job
from pixel_studio.settings import get_settings

log = logging.getLogger("pixel_studio.services.studio.generation")


def pay(session: Session, user_id: int, price: int, *, note: str) -> CreditTransaction:
    """Debit `price` and write the spend row, in the caller's transaction (text and edit jobs
    alike). Raises InsufficientCredits, having written nothing, when the balance is short."""
    try:
        # First, so a refusal leaves nothing behind: the conditional UPDATE either debits or
        # matches no row, and nothing else has been added to the session yet.
        return credits.change_balance(session, user_id, -price, CreditKind.spend, note=note)
    except InsufficientCredits:
        balance = session.exec(select(User.credits).where(User.id == user_id)).one()
        raise InsufficientCredits(
            credits.shortfall(f"This needs {price} credits", balance), field="count"
        ) from None


def add_job_params(
    session: Session,
    user_id: int,
    params: dict[str, Any],
    count: int,
    price: int,
    entry: CreditTransaction,
) -> GenerationJob:
    """`add_job` for any job's stored parameters (`params` holds at least model and prompt;
    edit jobs also their operation, services/studio/editing.py). Flushes the job; caller commits."""
    job = GenerationJob(
        id=uuid4().hex,
        user_id=user_id,
        params=params,
        status=JobStatus.queued,
        total=count,
        credits_charged=price,
    )
    session.add(job)
    session.flush()  # the job row must exist before anything points at it
    entry.job_id = job.id
    # One set per job, made now so the history page lists the job from the start (queued,
    # failed, cancelled included); the worker only adds images to it.
    session.add(
        ImageSet(
            user_id=user_id,
            job_id=job.id,
            prompt=str(params["prompt"]),
            model=str(params["model"]),
            params=params,
        )
    )
    return job


def launch(
    session: Session,
    job: GenerationJob,
    *,
    enqueue: Callable[[str], None],
    publish: Publish,
    on_refused: Callable[[], None] | None = None,
) -> None:
    """Commit a paid, queued job, announce it and enqueue it (text and edit jobs alike).

    If the queue refuses it, the job is failed and refunded at once, `on_refused` runs (an
    edit job removes its stored upload and mask) and InvalidInput is raised.
    """
    user_id = job.user_id
    # The debit's RETURNING already refreshed the user in this session: no extra query.
    user = session.get(User, user_id)
    balance = user.credits if user is not None else None
    session.commit()
    publish(
        JobEvent(
            job_id=job.id,
            user_id=user_id,
            status=job.status,
            done=0,
            total=job.total,
            balance=balance,
        )
    )
    try:
        enqueue(job.id)
    except Exception as exc:
        full = isinstance(exc, QueueFull)
        log.log(
            logging.WARNING if full else logging.ERROR,
            "could not enqueue job %s: %r",
            job.id,
            exc,
            exc_info=not full,
        )
        closed = close_job(
            session,
            job.id,
            JobStatus.failed,
            error="The job could not be queued. Please try again.",
        )
        session.commit()
        if closed is not None:
            publish(closed)
        if on_refused is not None:
            on_refused()
        if full:
            wait = get_settings().busy_retry_after_seconds
            raise Busy(
                f"Too many images are being made right now; your credits were refunded. "
                f"Busy, try again in {wait} s.",
                wait,
            ) from None
        raise InvalidInput(
            "The job could not be queued; your credits were refunded. Please try again.",
            field="form",
        ) from None
