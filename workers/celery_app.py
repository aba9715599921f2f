"""The Celery app, configured from settings. Start a worker with:

    celery -A workers.celery_app worker -Q pixel_studio -c 2

Delivery is at-least-once on purpose (acks_late + reject_on_worker_lost: a killed worker's task
is delivered again); the service's claim step makes a second delivery harmless.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from typing import Any

from celery import Celery, signals

from pixel_studio import metrics
from pixel_studio.logging_setup import configure_logging, request_id
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)


def make_app(settings: Settings) -> Celery:
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
    app = Celery("pixel_studio", broker=broker, include=["workers.tasks"])
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
        # Our logging_setup configures the root logger (the setup_logging hook below).
        worker_hijack_root_logger=False,
    )
    return app


# The request id that submitted a job rides along as a task header, so the worker's log lines
# for that job carry the same id as the backend's (logging_setup.py).
REQUEST_ID_HEADER = "ps_request_id"
_request_tokens: dict[str, Any] = {}


@signals.before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = request_id.get()
    if rid and headers is not None:
        headers[REQUEST_ID_HEADER] = rid


@signals.task_prerun.connect
def _take_request_id(task_id: str = "", task: Any = None, **_: Any) -> None:
    rid = getattr(task.request, REQUEST_ID_HEADER, None) if task is not None else None
    # A task sent outside any request (requeue_stale) still gets an id of its own.
    _request_tokens[task_id] = request_id.set(str(rid) if rid else f"task-{task_id}")


@signals.task_postrun.connect
def _drop_request_id(task_id: str = "", **_: Any) -> None:
    token = _request_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:
    # Connected, it also keeps Celery from installing its own handlers: one format everywhere.
    configure_logging("worker")


@signals.worker_process_shutdown.connect
def _pool_process_gone(**_: Any) -> None:
    metrics.mark_process_dead(os.getpid())


@lru_cache
def get_app() -> Celery:
    """The app of this process's settings: what `celery -A workers.celery_app` runs."""
    return make_app(get_settings())


_producers: dict[tuple[str, str], Celery] = {}
_producers_lock = threading.Lock()


def app_for(settings: Settings) -> Celery:
    """An app to send tasks with these settings (one per broker and queue, kept: an app holds
    the broker connection pool). The process's own settings get `get_app()`."""
    if settings is get_settings():
        return get_app()
    key = (settings.celery_broker_url or settings.redis_url, settings.celery_queue)
    with _producers_lock:
        if key not in _producers:
            _producers[key] = make_app(settings)
        return _producers[key]


def __getattr__(name: str) -> Celery:
    # `celery -A workers.celery_app` looks up `app`; building it lazily lets the embedded
    # profile import this package without a broker configured.
    if name == "app":
        return get_app()
    raise AttributeError(name)
