"""The job queue: Celery when a broker is configured, else in-process worker threads.

Both run the same `services.jobs.run_job`, so the embedded profile (`make run`, no broker)
exercises the very code production runs. Call `enqueue` only after the transaction that wrote
the job has committed (DESIGN.md pitfalls): a worker must never look for a missing row.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

TASK_NAME = "pixel_studio.generate"
ACCOUNT_TASK_NAME = "pixel_studio.account_job"  # exports and account deletions
PASSWORD_RESET_TASK_NAME = "pixel_studio.password_reset"  # services/password_reset.py
RECOVERY_INTERVAL_SECONDS = 300
EMBEDDED_WORKERS = 2
# The storage sweep lists every stored file: far rarer than the job check.
STORAGE_SWEEP_INTERVAL_SECONDS = 6 * 3600
STORAGE_SWEEP_LOCK_KEY = "pixel_studio:storage_sweep"

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_bound_lock = threading.Lock()  # the size check and the submit as one step


class QueueFull(RuntimeError):
    """The in-process queue is at EMBEDDED_QUEUE_SIZE (generation jobs only: exports,
    deletions and reset mails are few and rate-limited, and their callers cannot refuse)."""


def uses_celery(settings: Settings) -> bool:
    return bool(settings.celery_broker_url or settings.redis_url)


def enqueue(job_id: str, settings: Settings | None = None) -> None:
    """Schedule `run_job(job_id)`. Raises if the broker refuses (the caller refunds)."""
    settings = settings or get_settings()
    if uses_celery(settings):
        # Imported lazily: the embedded profile never imports Celery.
        from workers.celery_app import app_for

        app_for(settings).send_task(TASK_NAME, args=[job_id])
        return
    # The thread runs in a copy of this context: the submitting request's id follows the job
    # into its log lines (logging_setup.py), as the Celery task header does for a worker.
    context = contextvars.copy_context()
    with _bound_lock:
        # Bounded: services/backpressure.py refuses new jobs before this point, so a full
        # queue here is a race (or requeue_stale after a restart); the caller refunds.
        executor = _embedded_executor()
        if executor._work_queue.qsize() >= settings.embedded_queue_size:
            raise QueueFull(f"the in-process queue holds {settings.embedded_queue_size} jobs")
        executor.submit(context.run, _run_embedded, job_id)


def enqueue_account_job(job_id: str, settings: Settings | None = None) -> None:
    """Schedule `services.account_jobs.run_account_job(job_id)` (an export or an account
    deletion) on the same queue as generations. Raises if the broker refuses."""
    settings = settings or get_settings()
    if uses_celery(settings):
        from workers.celery_app import app_for

        app_for(settings).send_task(ACCOUNT_TASK_NAME, args=[job_id])
        return
    context = contextvars.copy_context()
    _embedded_executor().submit(context.run, _run_account_embedded, job_id)


def enqueue_password_reset(login: str, settings: Settings | None = None) -> None:
    """Schedule `services.password_reset.send_reset_link(login)`: the part of "forgot
    password" that looks the account up, so the request takes the same time either way."""
    settings = settings or get_settings()
    if uses_celery(settings):
        from workers.celery_app import app_for

        app_for(settings).send_task(PASSWORD_RESET_TASK_NAME, args=[login])
        return
    context = contextvars.copy_context()
    _embedded_executor().submit(context.run, run_password_reset, login)


def run_password_reset(login: str) -> None:
    """The job: look the account up and mail it a link (what the Celery task runs too)."""
    from pixel_studio.cache import get_cache
    from pixel_studio.db import session_scope
    from pixel_studio.services.password_reset import send_reset_link

    try:
        with session_scope() as session:
            send_reset_link(session, get_cache(), get_settings(), login)
    except Exception:  # logged, not raised: the person may simply ask again
        log.exception("password reset job failed")


def _run_account_embedded(job_id: str) -> None:
    from pixel_studio.services.account_jobs import run_account_job

    try:
        run_account_job(job_id)
    except Exception:  # the job handles its own errors; a last resort for the thread
        log.exception("embedded worker: account job %s crashed", job_id)


def requeue_stale_account_jobs(
    settings: Settings | None = None, engine: Engine | None = None, *, queued_for: float = 600.0
) -> list[str]:
    """Enqueue exports and deletions that lost their delivery (or whose run failed and left
    them queued); the claim keeps a duplicate from running twice."""
    from datetime import timedelta

    from pixel_studio.db import session_scope
    from pixel_studio.services.account_jobs import stale_job_ids

    settings = settings or get_settings()
    with session_scope(engine) as session:
        job_ids = stale_job_ids(session, queued_for=timedelta(seconds=queued_for))
    for job_id in job_ids:
        enqueue_account_job(job_id, settings)
    return job_ids


def expire_exports(settings: Settings | None = None, engine: Engine | None = None) -> int:
    """Remove data-export zips a day old (services/export.expire_exports)."""
    from pixel_studio.db import session_scope
    from pixel_studio.services.export import expire_exports as expire
    from pixel_studio.storage import get_storage

    settings = settings or get_settings()
    with session_scope(engine) as session:
        return expire(session, get_storage(settings))


def queue_depth(settings: Settings | None = None) -> int | None:
    """Jobs waiting for a worker: the Celery queue's length on a Redis broker, or the
    in-process executor's backlog. None when the broker is not Redis (RabbitMQ: ask it)."""
    settings = settings or get_settings()
    if uses_celery(settings):
        url = settings.celery_broker_url or settings.redis_url
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return None
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return int(client.llen(settings.celery_queue))  # type: ignore[arg-type]
        finally:
            client.close()
    with _lock:
        executor = _executor
    return executor._work_queue.qsize() if executor is not None else 0


def _embedded_executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            # Two threads: images appear while another job runs, without letting a burst of
            # jobs take every core from the web server that shares this process.
            _executor = ThreadPoolExecutor(EMBEDDED_WORKERS, thread_name_prefix="pixel-job")
        return _executor


def _run_embedded(job_id: str) -> None:
    from pixel_studio.services.jobs import run_job

    log.info("job %s: in-process worker starts", job_id)
    try:
        run_job(job_id)
    except Exception:  # run_job handles job errors; this is a last resort for the thread
        log.exception("embedded worker: job %s crashed", job_id)
        return
    log.info("job %s: in-process worker done", job_id)


def requeue_stale(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    queued_for: float = 600.0,
) -> list[str]:
    """Enqueue jobs that lost their delivery: running with an expired lease, or queued for
    longer than `queued_for` seconds. Duplicates are harmless (the claim)."""
    from pixel_studio.db import session_scope
    from pixel_studio.services.jobs import stale_job_ids

    settings = settings or get_settings()
    with session_scope(engine) as session:
        job_ids = stale_job_ids(session, queued_for=queued_for)
    sent: list[str] = []
    for job_id in job_ids:
        try:
            enqueue(job_id, settings)
        except QueueFull:
            # The rest stay queued in the database; a later pass (or the next restart) sends
            # them once the threads have caught up.
            log.warning("in-process queue full: %d stale job(s) left for later", len(job_ids))
            break
        sent.append(job_id)
    if sent:
        log.info("requeued %d stale job(s)", len(sent))
    return sent


def sweep_storage_if_due(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    interval: int = STORAGE_SWEEP_INTERVAL_SECONDS,
) -> int | None:
    """Remove stored files no row refers to (services/storage_sweep.py), at most once per
    `interval` across every backend: the first to bump the shared counter in a window runs
    it. Returns how many files were removed, or None when another backend's turn."""
    from pixel_studio.cache import get_cache
    from pixel_studio.db import session_scope
    from pixel_studio.services.storage_sweep import sweep_orphans
    from pixel_studio.storage import get_storage

    settings = settings or get_settings()
    turn, _ = get_cache().incr(STORAGE_SWEEP_LOCK_KEY, interval)
    if turn != 1:
        return None
    with session_scope(engine) as session:
        report = sweep_orphans(session, get_storage(settings))
    return len(report.orphans)


async def recover_stale_jobs() -> None:
    """Backend lifespan task: re-deliver jobs whose delivery was lost, at start and then
    every few minutes; and every few hours remove files no row refers to.

    Embedded profile: the in-process workers died with the last process, so at start every
    queued job is stale. Production: a broker message can be lost (enqueue after commit
    failed, a redelivery dropped while the lease was live); every backend may run this, the
    claim keeps a job from running twice.
    """
    settings = get_settings()
    queued_for = 600.0 if uses_celery(settings) else 0.0
    while True:
        try:
            await asyncio.to_thread(requeue_stale, settings, queued_for=queued_for)
        except Exception:  # a DB or broker outage must not end the loop: try again later
            log.exception("could not requeue stale jobs")
        try:
            # Files a killed worker left (it wrote them, then died before its commit).
            await asyncio.to_thread(sweep_storage_if_due, settings)
        except Exception:  # a storage or DB outage must not end the loop either
            log.exception("could not sweep unreferenced files")
        try:
            # Exports and account deletions: lost deliveries, and zips past their day.
            await asyncio.to_thread(requeue_stale_account_jobs, settings, queued_for=queued_for)
            await asyncio.to_thread(expire_exports, settings)
        except Exception:
            log.exception("could not requeue account jobs or expire exports")
        queued_for = 600.0
        await asyncio.sleep(RECOVERY_INTERVAL_SECONDS)


def shutdown(wait: bool = True) -> None:
    """Stop the embedded workers (tests, process exit)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait)
