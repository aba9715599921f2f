"""Where webhook deliveries run: a Celery task when a broker is configured (as for jobs,
job_queue.uses_celery), else an in-process runner; the same `run_delivery` either way.

Retries with backoff: an attempt that fails schedules the next one `retry_in` seconds later,
as a Celery task with a countdown, or on the in-process runner's timer. Kept apart from
job_queue.py on purpose: the runner has its own two threads and an unbounded timer heap, so
webhooks never take a generation worker, and the job queue's bound (backpressure) never
drops a retry. A lost task (broker message dropped, process restarted) is found again by
`recover_deliveries`, a backend lifespan task; a second task for one delivery is harmless
(its claim, services/integrations/webhook_delivery.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine

from pixel_studio.job_queue import uses_celery
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

TASK_NAME = "pixel_studio.webhook_delivery"
RECOVERY_INTERVAL_SECONDS = 60
RUNNER_THREADS = 2


class _Runner:
    """A timer heap and two threads: `at(delay, fn)` runs fn after `delay` seconds."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._pool = ThreadPoolExecutor(RUNNER_THREADS, thread_name_prefix="pixel-webhook")
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="pixel-webhook-timer", daemon=True)
        self._thread.start()

    def at(self, delay: float, fn: Callable[[], None]) -> None:
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + max(0.0, delay), next(self._seq), fn))
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _due, _seq, fn = heapq.heappop(self._heap)
            self._pool.submit(fn)

    def stop(self, wait: bool) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._pool.shutdown(wait=wait)


_runner: _Runner | None = None
_lock = threading.Lock()


def _embedded() -> _Runner:
    global _runner
    with _lock:
        if _runner is None:
            _runner = _Runner()
        return _runner


def enqueue(
    delivery_id: int,
    delay: float = 0.0,
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> None:
    """Schedule one attempt of the delivery in `delay` seconds."""
    settings = settings or get_settings()
    if uses_celery(settings):
        from pixel_studio.celery_queue import app_for

        app_for(settings).send_task(TASK_NAME, args=[delivery_id], countdown=max(0.0, delay))
        return
    _embedded().at(delay, lambda: run_and_reschedule(delivery_id, settings, engine))


def dispatch(delivery_ids: list[int], *, engine: Any = None) -> None:
    """The deliveries a transaction just committed (services/integrations/webhooks._after_commit).
    `engine`: the committing session's, so the in-process runner writes to that database."""
    settings = get_settings()
    bound = engine if isinstance(engine, Engine) else getattr(engine, "engine", None)
    for delivery_id in delivery_ids:
        enqueue(delivery_id, settings=settings, engine=bound)


def run_and_reschedule(
    delivery_id: int, settings: Settings | None = None, engine: Engine | None = None
) -> None:
    """One attempt, then the next one scheduled when it failed and attempts are left: what
    the Celery task and the in-process runner run."""
    from pixel_studio.services.integrations.webhook_delivery import run_delivery

    settings = settings or get_settings()
    try:
        outcome = run_delivery(delivery_id, engine=engine, settings=settings)
    except Exception:  # the database is failing: the recovery sweep tries again later
        log.exception("webhook delivery %s crashed", delivery_id)
        return
    if outcome is not None and outcome.retry_in is not None:
        enqueue(delivery_id, outcome.retry_in, settings=settings, engine=engine)


def requeue_due(settings: Settings | None = None, engine: Engine | None = None) -> list[int]:
    """Enqueue pending deliveries whose attempt is overdue (lost tasks)."""
    from pixel_studio.db import get_engine
    from pixel_studio.services.integrations.webhook_delivery import due_delivery_ids

    settings = settings or get_settings()
    ids = due_delivery_ids(engine or get_engine())
    for delivery_id in ids:
        enqueue(delivery_id, settings=settings, engine=engine)
    if ids:
        log.info("requeued %d overdue webhook deliveries", len(ids))
    return ids


async def recover_deliveries() -> None:
    """Backend lifespan task: every minute, re-send deliveries whose task was lost."""
    while True:
        try:
            await asyncio.to_thread(requeue_due)
        except Exception:  # a DB or broker outage must not end the loop
            log.exception("could not requeue webhook deliveries")
        await asyncio.sleep(RECOVERY_INTERVAL_SECONDS)


def shutdown(wait: bool = True) -> None:
    """Stop the in-process runner (tests, process exit); timers not yet due are dropped
    (their rows stay pending: the recovery sweep sends them)."""
    global _runner
    with _lock:
        runner, _runner = _runner, None
    if runner is not None:
        runner.stop(wait)
