"""One logging setup for the backend, the Celery worker and the CLI.

LOG_FORMAT=text (the default: what `make run` / `make dev` print on a terminal) or json (one
JSON object a line, what the Procfile, the Dockerfile and compose set for production). Every
record carries the request id of the work it belongs to: asgi-correlation-id's middleware sets
it from `X-Request-ID` (or a fresh one) for HTTP requests, `request_context()` for work that
starts elsewhere (a Reflex socket event), and it travels with a job to the Celery worker (a task
header, workers/celery_app.py) or the in-process job thread (job_queue.py copies the context).

SENTRY_DSN turns on Sentry error reporting; without it nothing is imported or sent.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from asgi_correlation_id import CorrelationIdFilter, correlation_id
from pythonjsonlogger.json import JsonFormatter

from pixel_studio.settings import Settings, get_settings

# The one request-id variable everything reads: asgi-correlation-id's, so its middleware, our
# Celery hooks and the log filter agree without a second copy.
request_id = correlation_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id", "process"]
# Loud libraries whose INFO lines say nothing an operator needs.
QUIET = ("httpx", "httpcore", "botocore", "boto3", "urllib3", "s3transfer")

_configured: str | None = None


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def request_context(rid: str | None = None) -> Iterator[str]:
    """Run a block under a request id: the given one, else the one already running (a socket
    event's, from state/event_log.py, or an HTTP request's), else a fresh one. Restores the
    previous on exit."""
    value = rid or request_id.get() or new_request_id()
    token = request_id.set(value)
    try:
        yield value
    finally:
        request_id.reset(token)


class _RequestIdFilter(CorrelationIdFilter):
    """Adds `request_id` to every record ("-" outside any request) for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


def make_handler(fmt: str, stream: object = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.addFilter(_RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                JSON_FIELDS,
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(
    process: str, settings: Settings | None = None, *, force: bool = False
) -> None:
    """Install the one root handler (idempotent per process) and Sentry when configured.

    `process` names the kind of process ("backend", "worker", "cli") for Sentry's tags.
    """
    global _configured
    settings = settings or get_settings()
    if _configured is not None and not force:
        return
    root = logging.getLogger()
    for old in list(root.handlers):
        # A plain stderr/stdout handler (basicConfig's, or ours from before) would print each
        # line twice; subclasses (pytest's capture, Sentry's) are someone else's: kept.
        if type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(make_handler(settings.log_format))
    root.setLevel(settings.log_level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    _configured = process
    init_sentry(process, settings)


def init_sentry(process: str, settings: Settings) -> bool:
    """Start Sentry when SENTRY_DSN is set (its FastAPI, Celery and logging integrations are
    automatic). Returns whether it did. Nothing is imported without a DSN."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.sentry_environment,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        send_default_pii=False,  # no cookies, emails or addresses in reports
    )
    sentry_sdk.get_global_scope().set_tag("process", process)
    # Browser errors are sent by error_reporting.py itself, one issue per kind of error; as
    # log lines they would all be one "browser error: %s" issue.
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger("pixel_studio.browser")
    return True
