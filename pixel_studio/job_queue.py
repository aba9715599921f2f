"""The job queue: Celery when a broker is configured, else in-process worker threads.

Both run the same `services.jobs.run_job`, so the embedded profile (`make run`, no broker)
exercises the very code production runs. Call `enqueue` only after the transaction that wrote
the job has committed (DESIGN.md pitfalls): a worker must never look for a missing row.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

TASK_NAME = "pixel_studio.generate"
EMBEDDED_WORKERS = 2

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


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
    _embedded_executor().submit(_run_embedded, job_id)


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

    try:
        run_job(job_id)
    except Exception:  # run_job handles job errors; this is a last resort for the thread
        log.exception("embedded worker: job %s crashed", job_id)


def requeue_stale(settings: Settings | None = None, engine: Engine | None = None) -> list[str]:
    """Enqueue jobs that lost their delivery: running with an expired lease, or queued for
    long. Call it at start-up in the embedded profile (jobs of a stopped process resume) and
    from time to time in production (e.g. cron); duplicates are harmless (the claim)."""
    from pixel_studio.db import session_scope
    from pixel_studio.services.jobs import stale_job_ids

    settings = settings or get_settings()
    with session_scope(engine) as session:
        job_ids = stale_job_ids(session)
    for job_id in job_ids:
        enqueue(job_id, settings)
    if job_ids:
        log.info("requeued %d stale job(s)", len(job_ids))
    return job_ids


def shutdown(wait: bool = True) -> None:
    """Stop the embedded workers (tests, process exit)."""
    global _executor
    with _lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=wait)
