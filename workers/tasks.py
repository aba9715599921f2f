"""Celery tasks: thin wrappers, one per job_queue task name. All the logic (claim, retries,
refunds) is in the service; the in-process queue runs the same functions."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

from pixel_studio.job_queue import (
    ACCOUNT_TASK_NAME,
    MAIL_TASK_NAME,
    PASSWORD_RESET_TASK_NAME,
    TASK_NAME,
)
from pixel_studio.mail import MailError, PermanentMailError, deliver_payload
from pixel_studio.mail.dispatch import MAX_ATTEMPTS, retry_delay
from pixel_studio.services.accounts.account_job_runner import run_account_job
from pixel_studio.services.accounts.password_reset import run_password_reset
from pixel_studio.services.integrations.webhook_queue import run_and_reschedule
from pixel_studio.services.studio.jobs import run_job
from workers.celery_app import get_app

app = get_app()
log = logging.getLogger(__name__)


@app.task(name=TASK_NAME)
def generate(job_id: str) -> None:
    # Both lines carry the submitting request's id (the task header; celery_app.py).
    log.info("job %s: worker starts", job_id)
    run_job(job_id)
    log.info("job %s: worker done", job_id)


@app.task(name=ACCOUNT_TASK_NAME)
def account_job(job_id: str) -> None:
    """A data export or an account deletion (services/accounts/account_jobs.py)."""
    log.info("account job %s: worker starts", job_id)
    run_account_job(job_id)
    log.info("account job %s: worker done", job_id)


@app.task(
    name=MAIL_TASK_NAME,
    bind=True,
    max_retries=MAX_ATTEMPTS - 1,
    # A mail is small and sending it twice is better than never: redelivery after a crash.
    acks_late=True,
)
def send_mail(self: Task, payload: dict[str, Any]) -> None:
    """One account email (pixel_studio/mail): retried with backoff while the server is down."""
    try:
        where = deliver_payload(payload)
    except PermanentMailError as exc:
        log.error("mail %r failed for good: %s", payload.get("subject"), exc)
        return
    except MailError as exc:
        attempt = self.request.retries + 1
        if attempt >= MAX_ATTEMPTS:
            log.error("mail %r gave up after %d attempts: %s", payload.get("subject"), attempt, exc)
            return
        raise self.retry(exc=exc, countdown=retry_delay(attempt)) from exc
    log.info("mail %r to %s sent via %s", payload.get("subject"), payload.get("to"), where)


@app.task(name=PASSWORD_RESET_TASK_NAME)
def password_reset(login: str) -> None:
    """Look up the account a "forgot password" request named and mail it a link."""
    run_password_reset(login)


@app.task(name="pixel_studio.webhook_delivery", acks_late=True)
def webhook_delivery(delivery_id: int) -> None:
    """One attempt of a webhook delivery; a failed one schedules the next with backoff
    (pixel_studio/webhook_queue.py). A duplicate is harmless: the attempt is claimed."""
    run_and_reschedule(delivery_id)
