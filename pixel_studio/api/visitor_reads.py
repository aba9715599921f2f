"""A visitor's warm explore page or image page, answered before FastAPI routes the request.

A warm `GET /api/v1/explore` or `GET /api/v1/images/{id}` from a visitor (no token, no session
cookie) is two things: the read tier's count and the cached entry's bytes, one Redis round
trip (services/social/warm_read.py). Through FastAPI the same answer also paid for the route
table's match, the dependency solver and the query model's validation: about half of a warm
read's time in process (bench/discovery.py, "warm"). This lane does only the two things, from
inside the middleware chain, so the request id, the access log line, the metrics (under the
route's own template) and the host guard are unchanged.

It answers only what it knows to be the route's own answer:
- the path is exactly the route's, the id a plain positive integer in range;
- the query names only ExploreQuery's fields, each at most once, and validates; the cache
  entry is then the one the route reads (`discovery.explore_entry`), memoised per query
  string;
- the entry is there and the read was counted.
Anything else goes on to the route. A miss after a counted read leaves a note in the request's
state (`auth.note_counted_miss`), so the route does not count the read twice; a refused read was not
recorded by the moving window, so the route's count refuses it again with its Retry-After.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import cast

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pixel_studio.api.deps import client_ip
from pixel_studio.api.discovery import (
    EXPLORE_PATH,
    IMAGE_PATH,
    MAX_ID,
    Entry,
    ExploreDepsValue,
    explore_deps,
    explore_entry,
    explore_response,
    image_entry,
    image_response,
)
from pixel_studio.api.v1.auth import note_counted_miss, sends_credential
from pixel_studio.services.errors import RateLimited
from pixel_studio.services.social import warm_read
from pixel_studio.services.social.explore import ExploreQuery

_IMAGE = re.compile(r"/api/v1/images/([1-9][0-9]{0,9})")
_EXPLORE_FIELDS = frozenset(ExploreQuery.model_fields)


@lru_cache(maxsize=4096)
def _explore_entry(query_string: bytes) -> Entry | None:
    """The explore entry for a raw query string, or None when only the route may say what it
    means (an unknown or repeated key, or input the route refuses)."""
    params = QueryParams(query_string)
    keys = list(params.keys())
    if len(keys) != len(set(keys)) or not _EXPLORE_FIELDS.issuperset(keys):
        return None
    try:
        return explore_entry(ExploreQuery.model_validate(dict(params)))
    except ValidationError:
        return None


async def _route_deps(scope: Scope) -> ExploreDepsValue:
    """The routes' own dependency (with the app's overrides, as FastAPI would resolve it), so
    the lane reads the same cache under the same settings as the route it stands in for."""
    overrides = getattr(scope.get("app"), "dependency_overrides", {})
    deps = overrides.get(explore_deps, explore_deps)()
    return cast(ExploreDepsValue, await deps if inspect.isawaitable(deps) else deps)


class VisitorReads:
    """Pure ASGI middleware; `routes` hold the two routes it answers for (api/discovery.py)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        gets = {r.path: r for r in routes if isinstance(r, Route) and "GET" in (r.methods or ())}
        self.explore_route, self.image_route = gets[EXPLORE_PATH], gets[IMAGE_PATH]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            answered = False
            if path == EXPLORE_PATH:
                entry = _explore_entry(scope["query_string"])
                if entry is not None:
                    answered = await self._answer(
                        scope, receive, send, entry, explore_response, self.explore_route, {}
                    )
            elif (match := _IMAGE.fullmatch(path)) and int(match[1]) <= MAX_ID:
                answered = await self._answer(
                    scope,
                    receive,
                    send,
                    image_entry(int(match[1])),
                    image_response,
                    self.image_route,
                    {"image_id": match[1]},  # as the router records it: the path's text
                )
            if answered:
                return
        await self.app(scope, receive, send)

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        entry: Entry,
        respond: Callable[[str], Response],
        route: BaseRoute,
        path_params: dict[str, str],
    ) -> bool:
        """True when the entry was there and has been sent; False to go on to the route."""
        request = Request(scope)
        if sends_credential(request):
            return False  # what the page shows, or whose tier counts, depends on who asks
        name, scopes = entry
        settings, cache, _sessions = await _route_deps(scope)
        ip = client_ip(request, settings)
        try:
            key, body = await run_in_threadpool(
                warm_read.counted_lookup, cache, settings, None, ip, name, scopes
            )
        except RateLimited:
            return False  # not recorded: the route's own count refuses it, with Retry-After
        if body is None:
            note_counted_miss(scope, name, key)
            return False
        # What the router records: the metrics and the access log name the route's template.
        scope["route"], scope["path_params"] = route, path_params
        await respond(body)(scope, receive, send)
        return True
