"""The Celery worker's app, configured from settings. Start a worker with:

    celery -A workers.celery_app worker -Q pixel_studio -c 2

The app is pixel_studio.celery_queue's (the same configuration the backend sends with) plus
the task modules (workers/tasks.py) and the worker-side hooks below. Workers import services
and the queue; nothing in pixel_studio imports this package.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import Any

from celery import Celery, signals

from pixel_studio import celery_queue, metrics
from pixel_studio.celery_queue import REQUEST_ID_HEADER
from pixel_studio.logging_setup import configure_logging, request_id
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

TASK_MODULES = ("workers.tasks",)


def make_app(settings: Settings) -> Celery:
    """The worker's app: the shared configuration plus this package's task modules."""
    return celery_queue.make_app(settings, include=TASK_MODULES)


_request_tokens: dict[str, Any] = {}


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


def __getattr__(name: str) -> Celery:
    # `celery -A workers.celery_app` looks up `app`; building it lazily lets a process import
    # this package without a broker configured.
    if name == "app":
        return get_app()
    raise AttributeError(name)
