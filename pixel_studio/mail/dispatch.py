"""Choosing the mailer, queueing after commit, and delivering with retries.

Celery profile: `send_task("pixel_studio.send_mail")` (workers/tasks.py retries with backoff).
Embedded profile: one thread of this process runs the same `deliver` with the same backoff;
mail is not durable there (a restart mid-retry drops it), like the rest of that profile.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from pixel_studio import job_queue
from pixel_studio.mail.base import Mailer, MailError, Message, PermanentMailError, build
from pixel_studio.mail.outbox import OutboxMailer
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

TASK_NAME = job_queue.MAIL_TASK_NAME
MAX_ATTEMPTS = 6  # 1 + 5 retries: about 5 minutes of backoff, then the failure is logged
BASE_DELAY = 5.0
MAX_DELAY = 120.0
_PENDING = "pixel_studio_pending_mail"

_executor: ThreadPoolExecutor | None = None
_futures: set[Future[None]] = set()
_lock = threading.Lock()


def get_mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        from pixel_studio.mail.smtp import SmtpMailer

        return SmtpMailer(settings.smtp_url)
    return OutboxMailer(settings.outbox_dir)


def retry_delay(attempt: int, base: float = BASE_DELAY, cap: float = MAX_DELAY) -> float:
    """Seconds before retry number `attempt` (1, 2, ...): doubling from `base`, at most `cap`."""
    return float(min(cap, base * 2 ** (attempt - 1)))


def deliver(message: Message, settings: Settings) -> str:
    """Build and send one message now (one attempt). MailError / PermanentMailError."""
    return get_mailer(settings).send(build(message, settings))


def deliver_payload(payload: dict[str, Any], settings: Settings | None = None) -> str:
    """What the Celery task runs: the message as it crossed the broker."""
    return deliver(Message.from_payload(payload), settings or get_settings())


def _deliver_with_retries(message: Message, settings: Settings, base_delay: float) -> None:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            where = deliver(message, settings)
        except PermanentMailError as exc:
            log.error("mail %r to %s failed for good: %s", message.subject, message.to, exc)
            return
        except MailError as exc:
            if attempt == MAX_ATTEMPTS:
                log.error("mail %r to %s gave up after %d attempts: %s",
                          message.subject, message.to, attempt, exc)  # fmt: skip
                return
            delay = retry_delay(attempt, base_delay)
            log.warning("mail %r to %s failed (%s); retry %d in %.0f s",
                        message.subject, message.to, exc, attempt, delay)  # fmt: skip
            time.sleep(delay)
        except Exception:  # a bug must not kill the thread silently
            log.exception("mail %r to %s crashed", message.subject, message.to)
            return
        else:
            log.info("mail %r to %s sent via %s", message.subject, message.to, where)
            return


def enqueue(message: Message, settings: Settings, base_delay: float = BASE_DELAY) -> None:
    """Hand the message to the queue. Never raises: a lost email must not fail the request
    that caused it (the person can ask for it again), but it is logged."""
    try:
        if job_queue.uses_celery(settings):
            # A worker retries with backoff (workers/tasks.py); `run` is what it runs.
            job_queue.send(TASK_NAME, message.to_payload(), run=deliver_payload, settings=settings)
            return
        # In-process: a thread of its own, so a mail never waits behind a generation job.
        global _executor
        with _lock:
            if _executor is None:
                _executor = ThreadPoolExecutor(1, thread_name_prefix="pixel-mail")
            future = _executor.submit(_deliver_with_retries, message, settings, base_delay)
            _futures.add(future)
        future.add_done_callback(_futures.discard)
    except Exception:
        log.exception("could not queue mail %r to %s", message.subject, message.to)


def wait_idle(timeout: float = 30.0) -> None:
    """Wait for the in-process mail thread to finish what it was given (tests, shutdown)."""
    deadline = time.monotonic() + timeout
    while True:
        with _lock:
            pending = [f for f in _futures if not f.done()]
        if not pending:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("mail still pending")
        pending[0].result(timeout=remaining)


def _flush(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for message, settings in pending:
        enqueue(message, settings)


def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)


def send_after_commit(session: Session, message: Message, settings: Settings) -> None:
    """Queue `message` once this session's transaction commits; never if it rolls back."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        if not session.info.get("pixel_studio_mail_hooked"):
            session.info["pixel_studio_mail_hooked"] = True
            event.listen(session, "after_commit", _flush)
            event.listen(session, "after_rollback", _drop)
    pending.append((message, settings))
