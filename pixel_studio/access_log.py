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
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixel_studio.metrics import route_template

log = logging.getLogger("pixel_studio.access")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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


class AccessLogMiddleware:
    """Pure ASGI middleware: one line when an HTTP response has been sent (or failed).

    WebSocket connections are not requests; their events get their own lines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A method outside the known set is a client's free text: logged as OTHER.
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
            log_access(
                "http", method, route_template(scope), str(status), time.perf_counter() - start
            )
