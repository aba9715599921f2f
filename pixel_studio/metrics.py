"""Prometheus metrics (prometheus-client), served at /metrics by api/metrics.py.

Multi-process: with PROMETHEUS_MULTIPROC_DIR set (a real environment variable, read when
prometheus_client is imported), every process — each granian worker of each Reflex backend and
each Celery pool process — writes its counters to files there, and /metrics adds them all up.
Clear the folder before the processes start (`pixel-studio metrics reset`, the Procfile's
first step), never while they run. Without it, each process counts for itself (make run).

Labels are bounded by construction: routes by their template (never a raw path), job statuses,
provider error classes, cache hit/miss. Values computed at scrape time (queue depth, registered
tabs) are read from the shared source (Redis, or this process in the embedded profile), so they
are right whichever backend answers.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixel_studio import job_queue

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
TERMINAL_STATUSES = ("succeeded", "failed", "cancelled")

# Each metric opens its file in the folder when it is created: a missing folder (a fresh
# container's, or right after a reset) must not stop the process from starting.
if os.environ.get(MULTIPROC_ENV):
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)

HTTP_REQUESTS = Counter(
    "pixel_studio_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "pixel_studio_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS = Counter(
    "pixel_studio_jobs",
    "Generation jobs reaching a status: queued (submitted), succeeded, failed, cancelled.",
    ["status"],
)
JOB_DURATION = Histogram(
    "pixel_studio_job_duration_seconds",
    "Time a worker spent on one delivery of a job, from its claim to its end.",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
PROVIDER_ERRORS = Counter(
    "pixel_studio_provider_errors",
    "Image-model call failures (each try), by error kind.",
    ["kind"],
)
CACHE_LOOKUPS = Counter(
    "pixel_studio_cache_lookups",
    "Cache-aside reads (services/cached.py): hit or miss. Ratio = hit / (hit + miss).",
    ["result"],
)

# Socket events (state/event_log.py) by handler: "<state>.<handler>" of a registered handler
# only (Reflex refuses unknown names before any middleware runs), so the label set is the
# app's handler list — never a page path, a payload or a client token.
SOCKET_EVENTS = Counter(
    "pixel_studio_socket_events",
    "Socket events handled, by handler and outcome (ok, error, cancelled).",
    ["handler", "status"],
)
SOCKET_EVENT_DURATION = Histogram(
    "pixel_studio_socket_event_duration_seconds",
    "Time from an event's start under its tab's state lock to the end of its handler.",
    ["handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SOCKET_STATUSES = ("ok", "error", "cancelled")


def count_socket_event(handler: str, status: str, seconds: float) -> None:
    status = status if status in SOCKET_STATUSES else "error"
    SOCKET_EVENTS.labels(handler=handler, status=status).inc()
    SOCKET_EVENT_DURATION.labels(handler=handler).observe(seconds)


def _init_known_labels() -> None:
    """Every known label value starts at 0, so each series exists before its first event
    (a rate() over a series that appears late misses its first increments)."""
    from pixel_studio.providers import errors

    for status in ("queued", *TERMINAL_STATUSES):
        JOBS.labels(status=status)
    for result in ("hit", "miss"):
        CACHE_LOOKUPS.labels(result=result)
    kinds: list[type[errors.ProviderError]] = [
        errors.ProviderError,
        *errors.ProviderError.__subclasses__(),
    ]
    for kind in kinds:
        PROVIDER_ERRORS.labels(kind=kind.__name__)


_init_known_labels()


def count_job_status(status: str) -> None:
    if status == "queued" or status in TERMINAL_STATUSES:
        JOBS.labels(status=status).inc()


def count_provider_error(exc: BaseException) -> None:
    # The class name: a fixed, small set (providers/errors.py), never the message.
    PROVIDER_ERRORS.labels(kind=type(exc).__name__).inc()


# Bound once: looking a label's child up costs ~4 µs, on every cached read.
_CACHE_HIT, _CACHE_MISS = CACHE_LOOKUPS.labels(result="hit"), CACHE_LOOKUPS.labels(result="miss")


def count_cache(hit: bool) -> None:
    (_CACHE_HIT if hit else _CACHE_MISS).inc()


def multiproc_dir() -> Path | None:
    raw = os.environ.get(MULTIPROC_ENV, "")
    return Path(raw) if raw else None


def reset_multiproc_dir() -> Path | None:
    """Empty the multi-process folder (before the processes start). Returns it, or None."""
    path = multiproc_dir()
    if path is None:
        return None
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def mark_process_dead(pid: int) -> None:
    """A finished process's live gauges no longer count (counters and histograms stay)."""
    if multiproc_dir() is not None:
        multiprocess.mark_process_dead(pid)


class _LiveCollector(Collector):
    """Values read at scrape time from where they live, not counted by any process."""

    def collect(self) -> Iterable[Metric]:
        depth = _queue_depth()
        if depth is not None:
            gauge = GaugeMetricFamily(
                "pixel_studio_queue_depth", "Jobs waiting for a worker (broker queue length)."
            )
            gauge.add_metric([], depth)
            yield gauge
        tabs = _registered_tabs()
        if tabs is not None:
            gauge = GaugeMetricFamily(
                "pixel_studio_tabs_registered",
                "Browser tabs registered for live job events (seen in the registry's TTL).",
            )
            gauge.add_metric([], tabs)
            yield gauge


def _queue_depth() -> int | None:
    try:
        return job_queue.queue_depth()
    except Exception:  # a broker outage must not break the scrape; /readyz reports it
        log.warning("queue depth unavailable", exc_info=True)
        return None


def _registered_tabs() -> int | None:
    from pixel_studio.tabs import get_tabs

    try:
        return get_tabs().count()
    except Exception:
        log.warning("tab registry unavailable", exc_info=True)
        return None


def render() -> tuple[bytes, str]:
    """The exposition text for /metrics: every process's counters plus the live values."""
    if multiproc_dir() is not None:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY  # this process's own metrics
    live = CollectorRegistry()
    live.register(_LiveCollector())
    return generate_latest(counted) + generate_latest(live), CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    """The template of the route that served `scope` ("/api/v1/generations/{job_id}"); "reflex"
    for what the Reflex app beneath serves under its catch-all mount (pages, assets);
    "unmatched" when no route took it. Never a raw path with ids in it: the router records the
    route it chose and the path parameters it read, and each parameter's value goes back to
    its `{name}` (FastAPI's included routers know only their own part of the template)."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    if isinstance(route, Mount) and str(getattr(route, "path", "")) in ("", "/"):
        return "reflex"
    path = str(scope.get("path", ""))
    params = scope.get("path_params") or {}
    segments = path.split("/")
    for name, value in params.items():
        text = str(value)
        if "/" in text and path.endswith("/" + text):  # a {name:path} tail
            path = path[: -len(text)] + "{" + name + "}"
            segments = path.split("/")
            continue
        segments = ["{" + name + "}" if seg == text else seg for seg in segments]
    return "/".join(segments)


class ResponseTimer:
    """Pure ASGI middleware on the FastAPI app (which mounts Reflex): `done` is called once per
    HTTP request, when its response has been sent or has failed, with the method, the route
    template, the status and the seconds it took. WebSocket traffic (Reflex's /_event) is not
    an HTTP request: its events are timed in state/event_log.py."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A method outside the known set is a client's free text: counted as OTHER.
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        status = 500  # what the server error middleware answers when the app raises
        start = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The route template is known once the router has matched.
            self.done(method, route_template(scope), str(status), time.perf_counter() - start)

    def done(self, method: str, route: str, status: str, seconds: float) -> None:
        raise NotImplementedError


class MetricsMiddleware(ResponseTimer):
    """Counts and times every HTTP request."""

    def done(self, method: str, route: str, status: str, seconds: float) -> None:
        latency, requests = _http_children(method, route, status)
        latency.observe(seconds)
        requests.inc()


@lru_cache(maxsize=2048)  # labels are bounded (templates, known methods): a lookup is ~4 µs
def _http_children(method: str, route: str, status: str) -> tuple[Histogram, Counter]:
    return (
        HTTP_LATENCY.labels(method=method, route=route),
        HTTP_REQUESTS.labels(method=method, route=route, status=status),
    )


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
