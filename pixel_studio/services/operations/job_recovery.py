"""The backend's periodic recovery: re-deliver jobs whose delivery was lost, remove data-export
zips past their day, and now and then files no row refers to.

Embedded profile: the in-process workers died with the last process, so at start every
queued job is stale. Production: a broker message can be lost (enqueue after commit failed, a
redelivery dropped while the lease was live); every backend may run this, the claim keeps a
job from running twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.engine import Engine

from pixel_studio import cache
from pixel_studio.db import session_scope
from pixel_studio.job_queue import QueueFull, uses_celery
from pixel_studio.services.accounts import account_jobs
from pixel_studio.services.accounts.account_job_runner import enqueue_account_job
from pixel_studio.services.accounts.export import expire_exports as expire
from pixel_studio.services.operations.storage_sweep import sweep_orphans
from pixel_studio.services.studio import jobs
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_SECONDS = 300
# The storage sweep lists every stored file: far rarer than the job check.
STORAGE_SWEEP_INTERVAL_SECONDS = 6 * 3600
STORAGE_SWEEP_LOCK_KEY = "pixel_studio:storage_sweep"


def requeue_stale(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    queued_for: float = 600.0,
) -> list[str]:
    """Enqueue jobs that lost their delivery: running with an expired lease, or queued for
    longer than `queued_for` seconds. Duplicates are harmless (the claim)."""
    settings = settings or get_settings()
    with session_scope(engine) as session:
        job_ids = jobs.stale_job_ids(session, queued_for=queued_for)
    sent: list[str] = []
    for job_id in job_ids:
        try:
            jobs.enqueue_job(job_id, settings)
        except QueueFull:
            # The rest stay queued in the database; a later pass (or the next restart) sends
            # them once the threads have caught up.
            log.warning("in-process queue full: %d stale job(s) left for later", len(job_ids))
            break
        sent.append(job_id)
    if sent:
        log.info("requeued %d stale job(s)", len(sent))
    return sent


def requeue_stale_account_jobs(
    settings: Settings | None = None, engine: Engine | None = None, *, queued_for: float = 600.0
) -> list[str]:
    """Enqueue exports and deletions that lost their delivery (or whose run failed and left
    them queued); the claim keeps a duplicate from running twice."""
    settings = settings or get_settings()
    with session_scope(engine) as session:
        job_ids = account_jobs.stale_job_ids(session, queued_for=timedelta(seconds=queued_for))
    for job_id in job_ids:
        enqueue_account_job(job_id, settings)
    return job_ids


def expire_exports(settings: Settings | None = None, engine: Engine | None = None) -> int:
    """Remove data-export zips a day old (services/accounts/export.expire_exports)."""
    settings = settings or get_settings()
    with session_scope(engine) as session:
        return expire(session, get_storage(settings))


def sweep_storage_if_due(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    interval: int = STORAGE_SWEEP_INTERVAL_SECONDS,
) -> int | None:
    """Remove stored files no row refers to (services/operations/storage_sweep.py), at most once per
    `interval` across every backend: the first to bump the shared counter in a window runs
    it. Returns how many files were removed, or None when another backend's turn."""
    settings = settings or get_settings()
    turn, _ = cache.get_cache().incr(STORAGE_SWEEP_LOCK_KEY, interval)
    if turn != 1:
        return None
    with session_scope(engine) as session:
        report = sweep_orphans(session, get_storage(settings))
    return len(report.orphans)


async def recover_stale_jobs() -> None:
    """Backend lifespan task: re-deliver jobs whose delivery was lost, at start and then
    every few minutes; and every few hours remove files no row refers to."""
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
