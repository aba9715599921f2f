"""Running a generation job: the one function the Celery task and the in-process worker call.

Safe to run any number of times for the same job, concurrently or after a crash:
- the claim is a conditional UPDATE (queued → running, or take-over of a running job whose
  lease has expired), and it bumps `attempts`, which then fences every later write: a worker
  whose job was cancelled or taken over matches no row at its next write and stops;
- each image is committed with `done = done + 1` in the same transaction as its Image row, so
  a take-over resumes at `done` and an image is never counted twice;
- every handled error ends the job (failed + refund of the images not made); only a crash
  leaves it running, and then its lease expires and the next delivery resumes it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from functools import partial
from typing import Any
from uuid import uuid4

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio import events, job_queue, metrics, provider_limits
from pixel_studio.cache import get_cache
from pixel_studio.catalog import UnknownModelError
from pixel_studio.db import get_engine, session_scope, utcnow
from pixel_studio.events import JobEvent
from pixel_studio.models import GenerationJob, Image, JobStatus
from pixel_studio.models.webhooks import WebhookEvent
from pixel_studio.provider_limits import ProviderLimits
from pixel_studio.providers import (
    ImageRequest,
    Provider,
    ProviderError,
    RateLimited,
    get_provider,
)
from pixel_studio.providers.base import MAX_SEED, EditingProvider, GeneratedImage, resolve_seed
from pixel_studio.services import cached
from pixel_studio.services.integrations import webhooks
from pixel_studio.services.studio import edit_jobs
from pixel_studio.services.studio.edit_jobs import EditInput, SourceGone
from pixel_studio.services.studio.job_claim import (
    Claim,
    Heartbeat,
    Stopped,
    claim_job,
    guard,
    lease_deadline,
    renew,
)
from pixel_studio.services.studio.job_state import Publish, close_job
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import Storage, get_storage
from pixel_studio.storage.images import encode_original, image_keys, make_thumbnail

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Something went wrong while making your images."
ProviderFor = Callable[[str], Provider]
Sleep = Callable[[float], None]


def run_job(
    job_id: str,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    storage: Storage | None = None,
    publish: Publish | None = None,
    provider_for: ProviderFor | None = None,
    sleep: Sleep = time.sleep,
    limits: ProviderLimits | None = None,
) -> None:
    """Claim the job and make its remaining images. Never raises for a job-level problem.
    `limits`: the per-model provider limits (default: provider_limits.for_settings)."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    store = get_storage(settings) if storage is None else storage
    emit: Publish = partial(events.publish, settings=settings) if publish is None else publish
    claim = claim_job(engine, job_id, settings)
    if claim is None:
        log.info("job %s: not claimable (already taken, finished or unknown)", job_id)
        return
    emit(
        JobEvent(
            job_id=job_id,
            user_id=claim.user_id,
            status=JobStatus.running,
            done=claim.done,
            total=claim.total,
        )
    )
    started = time.monotonic()
    try:
        model = str(claim.params["model"])
        provider = (
            get_provider(model, settings, timeout=settings.provider_timeout_seconds)
            if provider_for is None
            else provider_for(model)
        )
        # An edit job starts from pixels: read them once, after the claim (the source may
        # have been deleted or made private while the job waited: SourceGone).
        edit = (
            edit_jobs.load_edit_input(engine, store, claim.user_id, claim.params)
            if edit_jobs.is_edit(claim.params)
            else None
        )
        limits = provider_limits.for_settings(settings) if limits is None else limits
        with Heartbeat(engine, claim, settings) as heartbeat:
            for index in range(claim.done, claim.total):
                heartbeat.check()
                if edit is not None:
                    edit_jobs.check_source(engine, claim.user_id, claim.params)
                turn = partial(
                    limits.turn,
                    model,
                    on_wait=partial(_announce_wait, emit, claim, index),
                    check=heartbeat.check,  # a job cancelled while it waits stops waiting
                )
                image = _generate_with_retries(
                    provider, claim, index, engine, settings, sleep, edit, turn, limits
                )
                heartbeat.check()  # cancelled or taken over meanwhile: this image is not ours
                emit(_store_image(claim, index, image, engine, settings, store))
    except Stopped:
        log.info("job %s: cancelled or taken over; stopped", job_id)
    except ProviderError as exc:
        log.warning("job %s failed: %r (%s)", job_id, exc, exc.detail)
        _fail(engine, claim, exc.message, emit)
    except UnknownModelError:
        _fail(engine, claim, "This model is no longer offered.", emit)
    except SourceGone as exc:
        _fail(engine, claim, exc.message, emit)
    except Exception:
        log.exception("job %s: unexpected error", job_id)
        _fail(engine, claim, GENERIC_FAILURE, emit)
    finally:
        metrics.JOB_DURATION.observe(time.monotonic() - started)


def _live_parent(session: Session, parent_id: Any) -> int | None:
    """The remixed image's id if it still exists, else None: it may be deleted while the job
    runs, and its remixes then keep existing without it (the FK is ON DELETE SET NULL), so
    the worker must not insert a dangling parent_id (an FK error on both databases).

    FOR KEY SHARE on PostgreSQL holds off a concurrent delete until this transaction commits
    (the delete then nulls our parent_id itself); SQLite has no row locks but serialises
    writers, and the caller's transaction has already written the job row.
    """
    if parent_id is None:
        return None
    return session.exec(
        select(Image.id).where(Image.id == int(parent_id)).with_for_update(key_share=True)
    ).first()


def backoff_delay(attempt: int, settings: Settings, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter for retry number `attempt` (0-based).

    Jitter spreads retries of many jobs hit by the same outage; a Retry-After from the
    service is honoured as a floor, but never beyond the configured maximum.
    """
    base = settings.generation_retry_base_delay
    ceiling = min(settings.generation_retry_max_delay, base * 2**attempt)
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.generation_retry_max_delay))
    return delay


def _image_request(claim: Claim, index: int) -> ImageRequest:
    p = claim.params
    seed = p.get("seed")
    return ImageRequest(
        model_id=str(p["model"]),
        prompt=str(p["prompt"]),
        negative_prompt=p.get("negative_prompt"),
        width=int(p["width"]),
        height=int(p["height"]),
        # A fixed seed makes a set reproducible image by image; none means a random one each.
        seed=(int(seed) + index) % (MAX_SEED + 1) if seed is not None else None,
        guidance=p.get("guidance"),
        steps=p.get("steps"),
        quality=p.get("quality"),
        style=p.get("style"),
        style_preset=p.get("style_preset"),
        index=index,
    )


def _announce_wait(emit: Publish, claim: Claim, index: int, waiting: bool) -> None:
    """The job card says "Waiting for <model>" while the model's limit holds the job back
    (state/live.py shows a running event's message), and clears it when its turn comes."""
    message = provider_limits.waiting_message(str(claim.params["model"])) if waiting else ""
    status = JobStatus.running
    emit(
        JobEvent(
            job_id=claim.job_id,
            user_id=claim.user_id,
            status=status,
            done=index,
            total=claim.total,
            message=message,
        )
    )


def _generate_with_retries(
    provider: Provider,
    claim: Claim,
    index: int,
    engine: Engine,
    settings: Settings,
    sleep: Sleep,
    edit: EditInput | None = None,
    turn: Callable[[], AbstractContextManager[None]] = nullcontext,
    limits: ProviderLimits | None = None,
) -> GeneratedImage:
    call: Callable[[], GeneratedImage]
    if edit is None:
        request = _image_request(claim, index)
        if request.seed is None:
            # Fix the seed before the first attempt, so a retry makes the same picture and the
            # stored seed is the one that made it.
            request = request.model_copy(update={"seed": resolve_seed(request)})
        call = partial(provider.generate, request)
    else:
        if not isinstance(provider, EditingProvider):
            raise ProviderError("This model cannot edit images.")
        seed = edit_jobs.job_seed(claim.params, index)
        call = partial(provider.edit, edit_jobs.edit_request(edit, claim.params, index, seed))
    attempt = 0
    while True:
        try:
            with turn():  # the model's limits, shared by every worker (provider_limits.py)
                return call()
        except ProviderError as exc:
            metrics.count_provider_error(exc)
            if isinstance(exc, RateLimited) and exc.retry_after and limits is not None:
                # Every worker waits for this model, not only this one.
                limits.slow_down(str(claim.params["model"]), exc.retry_after)
            if not exc.transient or attempt >= settings.generation_max_retries:
                raise
            delay = backoff_delay(attempt, settings, exc.retry_after)
            attempt += 1
            log.info(
                "job %s image %d: %r, retry %d in %.2fs", claim.job_id, index, exc, attempt, delay
            )
            renew(engine, claim, settings)  # also notices a cancel during the outage
            sleep(delay)


def _png_params(claim: Claim, index: int, image: GeneratedImage) -> dict[str, Any]:
    p = claim.params
    keep = ("prompt", "negative_prompt", "model", "style_preset", "steps", "guidance")
    out: dict[str, Any] = {k: p.get(k) for k in (*keep, "quality", "style")}
    out.update(seed=image.seed, width=image.width, height=image.height, index=index)
    out.update(job_id=claim.job_id, software="Pixel Studio")
    if edit_jobs.is_edit(p):
        out.update(edit_jobs.png_params(p))
    return out


def _store_image(
    claim: Claim,
    index: int,
    image: GeneratedImage,
    engine: Engine,
    settings: Settings,
    storage: Storage,
) -> JobEvent:
    """Store both files, then record the image and the progress in one transaction."""
    png_params = _png_params(claim, index, image)
    original = encode_original(image.png, png_params)
    thumbnail = make_thumbnail(original)
    private = bool(claim.params.get("private"))
    original_key, thumbnail_key = image_keys(
        claim.user_id, claim.set_id, uuid4().hex, private=private
    )
    last = index + 1 >= claim.total
    values: dict[str, Any] = {"done": col(GenerationJob.done) + 1}
    if last:
        # The last image and the job's success are one commit: there is no moment where
        # done == total but the job still reads "running".
        values.update(status=JobStatus.succeeded, finished_at=utcnow(), lease_until=None)
    else:
        values.update(lease_until=lease_deadline(settings))
    try:
        # Inside the clean-up: a failed second write (or a soft time limit between the two)
        # must not leave the first file behind. A hard kill can still leave files: the
        # storage sweep (services/operations/storage_sweep.py) removes those.
        storage.put(original_key, original, "image/png")
        storage.put(thumbnail_key, thumbnail, "image/webp")
        with session_scope(engine) as session:
            # The job row first: it is the lock cancel and delete_set also take first.
            row = session.execute(
                update(GenerationJob)
                .where(guard(claim))
                .values(**values)
                .returning(col(GenerationJob.done))
            ).one_or_none()
            if row is None:
                raise Stopped
            params = {k: v for k, v in png_params.items() if k not in ("software",)}
            params.update(count=claim.params.get("count"), metadata=image.metadata)
            if edit_jobs.is_edit(claim.params):
                params["edit"] = claim.params.get("edit")
            record = Image(
                user_id=claim.user_id,
                set_id=claim.set_id,
                prompt=str(claim.params["prompt"]),
                model=str(claim.params["model"]),
                params=params,
                width=image.width,
                height=image.height,
                seed=image.seed,
                private=private,
                original_key=original_key,
                thumbnail_key=thumbnail_key,
                parent_id=_live_parent(session, claim.params.get("parent_image_id")),
                operation=str(claim.params.get("operation") or "text"),
            )
            session.add(record)
            session.flush()
            image_id = record.id
            if last:  # an API user's webhook, committed with the job's success (outbox)
                _record_success(session, claim)
    except BaseException:
        # Not recorded (cancelled, taken over, or the commit failed): these files are orphans.
        storage.delete_many([original_key, thumbnail_key])
        raise
    assert image_id is not None
    # Explore, feeds and the owner's profile are cached: the new image shows on their next
    # read (a private one only changes the owner's own profile).
    scopes = [cached.user_scope(claim.user_id)] + ([] if private else [cached.PUBLIC_IMAGES])
    cached.bump(get_cache(), *scopes)
    return JobEvent(
        job_id=claim.job_id,
        user_id=claim.user_id,
        status=JobStatus.succeeded if last else JobStatus.running,
        done=int(row[0]),
        total=claim.total,
        image_ids=[image_id],
    )


def _record_success(session: Session, claim: Claim) -> None:
    made = session.exec(
        select(Image.id).where(col(Image.set_id) == claim.set_id).order_by(col(Image.id))
    ).all()
    data = {"job_id": claim.job_id, "status": str(JobStatus.succeeded), "set_id": claim.set_id}
    data.update(total=claim.total, image_ids=list(made))
    webhooks.record(session, claim.user_id, WebhookEvent.job_succeeded, data)


def _fail(engine: Engine, claim: Claim, message: str, emit: Publish) -> None:
    try:
        with session_scope(engine) as session:
            event = close_job(
                session, claim.job_id, JobStatus.failed, error=message[:1000], token=claim.token
            )
    except Exception:
        # The database itself is failing: the job stays running until its lease expires and
        # the next delivery (or requeue_stale) picks it up again.
        log.exception("job %s: could not record the failure", claim.job_id)
        return
    if event is not None:
        emit(event)


def stale_job_ids(session: Session, *, queued_for: float = 600.0) -> list[str]:
    """Jobs that need a new delivery: running with an expired lease (their worker died), or
    queued for longer than `queued_for` seconds (their enqueue was lost). Re-enqueuing them is
    always safe: the claim makes a second delivery a no-op."""
    now = utcnow()
    job = GenerationJob
    rows = session.exec(
        select(job.id).where(
            or_(
                (col(job.status) == JobStatus.running) & (col(job.lease_until) < now),
                (col(job.status) == JobStatus.queued)
                & (col(job.created_at) < now - timedelta(seconds=queued_for)),
            )
        )
    ).all()
    return list(rows)


def enqueue_job(job_id: str, settings: Settings | None = None) -> None:
    """Schedule `run_job(job_id)` on the queue. Raises if the broker refuses (the caller
    refunds)."""
    job_queue.send(job_queue.TASK_NAME, job_id, run=run_job, settings=settings)
