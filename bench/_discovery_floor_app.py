"""The warm floor for bench/discovery.py: a bare Starlette app doing, by hand, the Redis work a
warm visitor read of the API does: count the read in the read tier's moving window and read
the cached entry under its scopes' versions, both in one pipeline (one round trip). The same
two Lua scripts as the product (the `limits` package's moving window, read from its own file;
the versioned GET written out below), no framework beyond Starlette.

    BENCH_REDIS_URL=redis://127.0.0.1:6379/9 uvicorn bench._discovery_floor_app:app

`GET /counted?name=<entry name>&scope=<scope>` answers the entry's bytes, 404 on a miss.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import limits
import redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_redis = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"], decode_responses=True)
_LUA = Path(limits.__file__).parent / "resources" / "redis" / "lua_scripts"
MOVING_WINDOW = _redis.script_load((_LUA / "acquire_moving_window.lua").read_text())
VERSIONED_GET = _redis.script_load(
    """
local version = redis.call('GET', KEYS[1])
if not version or version == '' then version = '0' end
local key = ARGV[1] .. '|' .. ARGV[2] .. '=' .. version
return redis.call('GET', key)
"""
)
# A read tier as generous as the bench's RATE_LIMIT_READ: every read counted, none refused.
AMOUNT, EXPIRY = 9_999_999, 60


def counted(request: Request) -> Response:
    # Sync, like the product's routes and cache (redis-py): Starlette runs it in its threadpool.
    name, scope = request.query_params["name"], request.query_params["scope"]
    host = request.client.host if request.client else "-"
    pipe = _redis.pipeline(transaction=False)
    pipe.evalsha(MOVING_WINDOW, 1, f"floor/read/{host}", time.time(), AMOUNT, EXPIRY, 1)
    pipe.evalsha(VERSIONED_GET, 1, f"ps:ver:{scope}", f"ps:c:{name}", scope)
    acquired, body = pipe.execute()
    if not acquired or body is None:
        return Response(b'{"detail":"missing"}', status_code=404, media_type="application/json")
    return Response(body, media_type="application/json")


app = Starlette(routes=[Route("/counted", counted)])
