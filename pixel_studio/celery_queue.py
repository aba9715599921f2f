"""The Celery implementation of job_queue.TaskQueue: the sending side.

A task goes to the broker by its name only; workers/celery_app.py builds the worker's app with
the same `make_app` and workers/tasks.py maps each name to its service function. So the
backend sends work without importing a worker, and the worker imports services, never the
reverse.

Delivery is at-least-once on purpose (acks_late + reject_on_worker_lost: a killed worker's task
is delivered again); the service's claim step makes a second delivery harmless.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from celery import Celery, signals

from pixel_studio.logging_setup import request_id
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

# The request id that submitted a job rides along as a task header, so the worker's log lines
# for that job carry the same id as the backend's (logging_setup.py; the worker side reads it
# in workers/celery_app.py).
REQUEST_ID_HEADER = "ps_request_id"


def make_app(
    settings: Settings, include: Sequence[str] = (), *, set_as_current: bool = True
) -> Celery:
    """A Celery app configured from settings; `include` names the worker's task modules."""
    settings.check_startup()  # workers share the site's key: production must set SECRET_KEY
    broker = settings.celery_broker_url or settings.redis_url
    if not broker:
        raise RuntimeError("Celery needs CELERY_BROKER_URL or REDIS_URL.")
    if not settings.redis_url:
        # Events go to the Redis list only when REDIS_URL is set; without it a worker's
        # progress would stay in its own process and pages would only see it on reload.
        log.warning("REDIS_URL is not set: job events from workers will not reach pages.")
    if settings.celery_time_limit >= settings.celery_visibility_timeout:
        log.warning("celery_time_limit >= visibility timeout: long tasks will be redelivered.")
    if settings.job_lease_seconds >= settings.celery_visibility_timeout:
        # A killed worker's task would come back while its lease still holds, be dropped as a
        # duplicate, and leave the job running until requeue_stale finds it.
        log.warning("job_lease_seconds >= visibility timeout: crashed jobs resume late.")
    app = Celery(
        "pixel_studio", broker=broker, include=list(include), set_as_current=set_as_current
    )
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.celery_soft_time_limit,
        task_time_limit=settings.celery_time_limit,
        broker_transport_options={
            "visibility_timeout": settings.celery_visibility_timeout,
            # Sweep for a dead worker's unacknowledged tasks every interval (the default
            # throttle of 10 would make it 10 intervals).
            "unacked_restore_interval": settings.celery_unacked_restore_interval,
            "unacked_restore_throttle": 1,
        },
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
        # Results are never read: progress and outcome live in the database and in events.
        task_ignore_result=True,
        task_default_queue=settings.celery_queue,
        # Our logging_setup configures the root logger (workers/celery_app.py's hook).
        worker_hijack_root_logger=False,
    )
    return app


@signals.before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = request_id.get()
    if rid and headers is not None:
        headers[REQUEST_ID_HEADER] = rid


_producers: dict[tuple[str, str], Celery] = {}
_producers_lock = threading.Lock()


def app_for(settings: Settings) -> Celery:
    """An app to send tasks with these settings (one per broker and queue, kept: an app holds
    the broker connection pool)."""
    key = (settings.celery_broker_url or settings.redis_url, settings.celery_queue)
    with _producers_lock:
        if key not in _producers:
            # Not the process's current app: in a worker process that is the worker's own.
            _producers[key] = make_app(settings, set_as_current=False)
        return _producers[key]


class CeleryQueue:
    """job_queue.TaskQueue over a Celery broker (Redis or RabbitMQ). It matches the protocol by
    shape: this module does not import job_queue, which imports it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, task: str, args: list[Any], run: Callable[..., object]) -> None:
        # `run` is the worker's business: workers/tasks.py serves `task` with that function.
        app_for(self._settings).send_task(task, args=args)

    def depth(self) -> int | None:
        url = self._settings.celery_broker_url or self._settings.redis_url
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return None
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            return int(client.llen(self._settings.celery_queue))  # type: ignore[arg-type]
        finally:
            client.close()

    def shutdown(self, wait: bool = True) -> None:
        """Nothing runs here: the workers are other processes."""


def celery_queue(settings: Settings | None = None) -> CeleryQueue:
    return CeleryQueue(settings or get_settings())
