"""Celery tasks: thin wrappers. All the logic (claim, retries, refunds) is in the service."""

from __future__ import annotations

from pixel_studio.services.jobs import run_job
from workers.celery_app import get_app

app = get_app()


@app.task(name="pixel_studio.generate")
def generate(job_id: str) -> None:
    run_job(job_id)
