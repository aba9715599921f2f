"""One access-log line per HTTP request and per socket event (issue 15, part 5).

Each line names what was asked (HTTP method, or the socket event's handler), the route
template (never the raw path: ids, user names and tokens live there), the outcome (status code,
or ok / error / cancelled), the duration and — through the log filter — the request id. Nothing
else: no query string, header, cookie, body or event payload (prompts, passwords, tokens) is
ever read here, so none can reach the log.

HTTP: `AccessLogMiddleware` on the FastAPI app (which mounts Reflex, so pages and assets are
counted too), inside asgi-correlation-id's middleware so the request id is already set.
Socket events: state/event_log.py calls `log_access` when an event's task ends.
"""

from __future__ import annotations

import logging

from pixel_studio.metrics import ResponseTimer

log = logging.getLogger("pixel_studio.access")


def log_access(kind: str, name: str, route: str, status: str, seconds: float) -> None:
    """The line, plus the same facts as fields for LOG_FORMAT=json."""
    duration_ms = round(seconds * 1000, 1)
    log.info(
        "%s %s %s %s %.1fms",
        kind,
        name,
        route,
        status,
        duration_ms,
        extra={
            "kind": kind,
            "event": name,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
        },
    )


class AccessLogMiddleware(ResponseTimer):
    """One line when an HTTP response has been sent (or failed). WebSocket connections are
    not requests; their events get their own lines."""

    def done(self, method: str, route: str, status: str, seconds: float) -> None:
        log_access("http", method, route, status, seconds)
