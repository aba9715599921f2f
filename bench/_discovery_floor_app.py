"""The warm floor for bench/discovery.py: a bare Starlette app whose one route answers with the
bytes stored in Redis under the key it names (one GET, no framework beyond Starlette).

    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 uvicorn bench._discovery_floor_app:app
"""

from __future__ import annotations

import os

import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_redis = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])


def raw(request: Request) -> Response:
    # Sync, like the product's routes and cache (redis-py): Starlette runs it in its threadpool.
    body = _redis.get("bench:floor:" + request.path_params["name"])
    if body is None:
        return Response(b'{"detail":"missing"}', status_code=404, media_type="application/json")
    return Response(body, media_type="application/json")


app = Starlette(routes=[Route("/raw/{name}", raw)])
