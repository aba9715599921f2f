"""REST API v1: personal-token access to the studio (`/api/docs`, `/api/openapi.json`).

`install(api)` adds the routers, the JSON error handlers (api/v1/errors.py) and a catch-all
so that an unknown /api/v1 path or method is a JSON 404/405 even on the Reflex backend, where
anything the FastAPI routes do not match would otherwise fall through to the page app.
Call it after every other router whose paths start with /api/v1 (api/discovery.py).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from starlette.routing import Match

from pixel_studio.api.v1 import (
    collections,
    compare,
    edits,
    errors,
    follows,
    generations,
    images,
    me,
    sets,
    social_reads,
    webhooks,
)
from pixel_studio.api.v1.errors import ApiError

router = APIRouter(prefix="/api/v1")
for _sub in (me.router, generations.router, images.router, collections.router, follows.router):
    router.include_router(_sub)
router.include_router(edits.router)  # issue 12: vary, image-to-image, inpaint, zoom out, upscale
# Issue 15: sets, cancel, image changes, feed, likes, notifications, compare, webhooks.
for _sub in (sets.router, social_reads.router, compare.router, webhooks.router):
    router.include_router(_sub)

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _unknown(request: Request) -> None:
    # Included routers do not list their methods, so ask the route table the same question
    # with each other method: any full match means the path exists and this method does not.
    allowed: set[str] = set()
    for method in ALL_METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.router.routes:
            if getattr(route, "endpoint", None) is _unknown:
                continue
            if route.matches(scope)[0] == Match.FULL:
                allowed.add(method)
                break
    if allowed:
        raise ApiError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed here.",
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    raise ApiError(404, "not_found", "There is nothing at this address.")


def install(api: FastAPI) -> None:
    api.include_router(router)
    api.add_api_route("/api/v1/{rest:path}", _unknown, methods=ALL_METHODS, include_in_schema=False)
    errors.install(api)
