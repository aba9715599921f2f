"""An access-log line, a request id and metrics for every socket event (issue 15, part 5).

Reflex 0.10.1 has a hook before each event (`Middleware.preprocess`) but never calls
`postprocess`. Each event runs in an asyncio task of its own, though, and `preprocess` runs in
that task: so this middleware gives the task a fresh request id (every log line of the handler,
and the job it submits, carries it), notes the time, and adds a done callback to the task —
which runs once the handler has finished, raised or been cancelled, background events
included. Reflex looks the handler up before it runs any middleware, so the name logged and
counted is always a registered handler's.

It returns None: it never swallows an event nor changes state, so the identity middleware
(state/identity.py) is still the first to act on the state of every event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event

from pixel_studio.access_log import log_access
from pixel_studio.logging_setup import new_request_id, request_id
from pixel_studio.metrics import count_socket_event

if TYPE_CHECKING:
    from reflex.app import App

UNKNOWN_ROUTE = "unknown"


def handler_label(event_name: str) -> str:
    """ "<state>.<handler>" from Reflex's full name ("reflex___state____state.pixel_studio___
    state___auth____auth_state.load_user" -> "auth_state.load_user"): short, and still one
    value per handler."""
    state_path, _, handler = event_name.rpartition(".")
    state = state_path.rpartition(".")[2].rpartition("____")[2]
    return f"{state}.{handler}" if state else handler


def page_routes(routes: Iterable[str]) -> frozenset[str]:
    """The app's page routes as the browser's router reports them ("/image/[image_id]")."""
    out = set()
    for route in routes:
        clean = route.strip("/")
        out.add("/" if clean in ("", "index") else f"/{clean}")
    return frozenset(out)


class EventLogMiddleware(Middleware):
    def __init__(self, routes: Iterable[str] | None = None) -> None:
        # Pages are added after the middleware is installed: read from the app on first use.
        self.routes = None if routes is None else page_routes(routes)

    def route_of(self, app: App | None, state: BaseState) -> str:
        if self.routes is None:
            self.routes = page_routes(getattr(app, "_unevaluated_pages", {}).keys())
        # The router data is what the socket sent: only a route of this app is logged as such.
        path = state.router.page.path or ""
        return path if path in self.routes else UNKNOWN_ROUTE

    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        task = asyncio.current_task()
        if task is None:  # not run by the event processor: nothing to wait for
            return None
        # The task's own context: set here, it holds for the rest of this event only.
        request_id.set(new_request_id())
        route = self.route_of(app, state)
        done = partial(_finished, handler_label(event.name), route, time.perf_counter())
        task.add_done_callback(done)  # runs in a copy of the context above: the same id
        return None


def _finished(handler: str, route: str, start: float, task: asyncio.Task[object]) -> None:
    seconds = time.perf_counter() - start
    if task.cancelled():
        status = "cancelled"
    elif task.exception() is not None:
        status = "error"  # the backend exception handler logs the traceback
    else:
        status = "ok"
    log_access("event", handler, route, status, seconds)
    count_socket_event(handler, status, seconds)


def install(app: App) -> None:
    """Add the middleware ahead of those already there (it only times and labels; see the
    docstring). Install it before the identity middleware, which must run first."""
    app.add_middleware(EventLogMiddleware(), index=0)
