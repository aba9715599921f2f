"""Celery tasks: thin wrappers. All the logic (claim, retries, refunds) is in the service."""

from __future__ import annotations

import logging

from pixel_studio.services.account_jobs import run_account_job
from pixel_studio.services.jobs import run_job
from workers.celery_app import get_app

app = get_app()
log = logging.getLogger(__name__)


@app.task(name="pixel_studio.generate")
def generate(job_id: str) -> None:
    # Both lines carry the submitting request's id (the task header; celery_app.py).
    log.info("job %s: worker starts", job_id)
    run_job(job_id)
    log.info("job %s: worker done", job_id)


@app.task(name="pixel_studio.account_job")
def account_job(job_id: str) -> None:
    """A data export or an account deletion (services/account_jobs.py)."""
    log.info("account job %s: worker starts", job_id)
    run_account_job(job_id)
    log.info("account job %s: worker done", job_id)
