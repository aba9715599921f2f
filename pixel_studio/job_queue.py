"""The job queue: an interface that services call, with two implementations.

- Celery when a broker is configured (celery_queue.py sends the task by name; a worker,
  workers/tasks.py, runs the service function registered under that name);
- else in-process worker threads (`EmbeddedQueue` below), which run the function the sender
  hands over with the name.

Both run the same service function, so the embedded profile (`make run`, no broker) exercises
the very code production runs. The queue knows no service: a service sends its own function
along (`send(TASK_NAME, job_id, run=run_job)`), and the worker maps the name to that function;
the dependency points from services and workers to this module, never back.

Send only after the transaction that wrote the job has committed (DESIGN.md pitfalls): a
worker must never look for a missing row.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

# The tasks a queue carries, by their broker name: workers/tasks.py serves each one.
TASK_NAME = "pixel_studio.generate"  # services/studio/jobs.py
ACCOUNT_TASK_NAME = "pixel_studio.account_job"  # exports and account deletions
PASSWORD_RESET_TASK_NAME = "pixel_studio.password_reset"  # services/accounts/password_reset.py
MAIL_TASK_NAME = "pixel_studio.send_mail"  # mail/dispatch.py
EMBEDDED_WORKERS = 2

Run = Callable[..., object]  # what it returns is not kept


class QueueFull(RuntimeError):
    """The in-process queue holds EMBEDDED_QUEUE_SIZE generation jobs (only those are bounded:
    exports, deletions and reset mails are few and rate-limited, and their callers cannot
    refuse). services/studio/backpressure.py refuses new jobs before this point, so a full queue
    here is a race, or a requeue after a restart; the caller refunds."""


class TaskQueue(Protocol):
    """Where background work goes. `send` raises if the work cannot be queued (the caller
    refunds or reports); the work itself runs later, elsewhere or on another thread."""

    def send(self, task: str, args: list[Any], run: Run) -> None: ...

    def depth(self) -> int | None:
        """Tasks waiting for a worker; None when it cannot be known from here."""
        ...

    def shutdown(self, wait: bool = True) -> None: ...


class EmbeddedQueue:
    """The in-process implementation: a small thread pool in the backend's own process."""

    def __init__(self, workers: int = EMBEDDED_WORKERS) -> None:
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._bound_lock = threading.Lock()  # the size check and the submit as one step

    def send(self, task: str, args: list[Any], run: Run, bound: int | None = None) -> None:
        """`bound`: refuse (QueueFull) when this many tasks already wait."""
        # The thread runs in a copy of this context: the submitting request's id follows the
        # job into its log lines (logging_setup.py), as the Celery task header does.
        context = contextvars.copy_context()
        with self._bound_lock:
            pool = self._pool()
            if bound is not None and pool._work_queue.qsize() >= bound:
                raise QueueFull(f"the in-process queue holds {bound} jobs")
            pool.submit(context.run, _run_logged, task, run, args)

    def depth(self) -> int | None:
        with self._lock:
            executor = self._executor
        return executor._work_queue.qsize() if executor is not None else 0

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                # Two threads: images appear while another job runs, without letting a burst
                # of jobs take every core from the web server that shares this process.
                self._executor = ThreadPoolExecutor(self._workers, thread_name_prefix="pixel-job")
            return self._executor


def _run_logged(task: str, run: Run, args: list[Any]) -> None:
    what = _what(task, args)
    log.info("%s: in-process worker starts", what)
    try:
        run(*args)
    except Exception:  # the task handles its own errors; this is a last resort for the thread
        log.exception("embedded worker: %s crashed", what)
        return
    log.info("%s: in-process worker done", what)


def _what(task: str, args: list[Any]) -> str:
    """A job's id for the log; other tasks by name only (a password reset's argument is the
    login a person typed: not for the logs)."""
    if task in (TASK_NAME, ACCOUNT_TASK_NAME) and args:
        return f"job {args[0]}"
    return task


_embedded = EmbeddedQueue()


def uses_celery(settings: Settings) -> bool:
    return bool(settings.celery_broker_url or settings.redis_url)


def get_queue(settings: Settings | None = None) -> TaskQueue:
    """The queue these settings choose: Celery with a broker, else the in-process threads."""
    settings = settings or get_settings()
    if uses_celery(settings):
        # Imported here, not at the top: the embedded profile never loads Celery.
        from pixel_studio.celery_queue import celery_queue

        return celery_queue(settings)
    return _embedded


def send(task: str, *args: Any, run: Run, settings: Settings | None = None) -> None:
    """Queue `run(*args)` under the broker name `task`. Raises if the broker refuses, or
    QueueFull when the in-process queue holds EMBEDDED_QUEUE_SIZE generation jobs."""
    settings = settings or get_settings()
    queue = get_queue(settings)
    if isinstance(queue, EmbeddedQueue) and task == TASK_NAME:
        queue.send(task, list(args), run, bound=settings.embedded_queue_size)
    else:
        queue.send(task, list(args), run)


def queue_depth(settings: Settings | None = None) -> int | None:
    """Jobs waiting for a worker: the Celery queue's length on a Redis broker, or the
    in-process executor's backlog. None when the broker is not Redis (RabbitMQ: ask it)."""
    return get_queue(settings).depth()


def shutdown(wait: bool = True) -> None:
    """Stop the embedded workers (tests, process exit)."""
    _embedded.shutdown(wait=wait)
