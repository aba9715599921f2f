"""Running an account job: the export (services/accounts/export.py) or the deletion
(services/accounts/account.py) a row asks for, and queueing it.

It sits above both services, which share the bookkeeping in account_jobs.py (claim, finish,
stale rows): neither needs to know the other, and nothing they import leads back here.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from pixel_studio import job_queue
from pixel_studio.db import session_scope
from pixel_studio.models import AccountJob, AccountJobKind
from pixel_studio.services.accounts.account import run_deletion
from pixel_studio.services.accounts.account_jobs import Publish
from pixel_studio.services.accounts.export import run_export
from pixel_studio.settings import Settings
from pixel_studio.storage import Storage

log = logging.getLogger(__name__)


def run_account_job(
    job_id: str,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    storage: Storage | None = None,
    publish: Publish | None = None,
) -> None:
    """What the queue runs: the export or the deletion, by the row's kind."""
    with session_scope(engine) as session:
        job = session.get(AccountJob, job_id)
        kind = job.kind if job is not None else None
    if kind == AccountJobKind.export:
        run_export(job_id, engine=engine, settings=settings, storage=storage, publish=publish)
    elif kind == AccountJobKind.delete:
        run_deletion(job_id, engine=engine, settings=settings, storage=storage)
    else:
        log.warning("account job %s: no such job", job_id)


def enqueue_account_job(job_id: str, settings: Settings | None = None) -> None:
    """Schedule `run_account_job(job_id)` on the same queue as generations. Call after the
    commit that wrote the row; raises if the broker refuses."""
    job_queue.send(job_queue.ACCOUNT_TASK_NAME, job_id, run=run_account_job, settings=settings)
