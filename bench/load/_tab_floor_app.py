"""The floor of `bench/load/tab_capacity.py --floor`: the same push done by hand, with nothing
of the app. A bare python-socketio server (Reflex's own settings: ASGI, websocket only, its
`/_event` path and namespace) on Granian with one worker, as `reflex run --env prod` serves;
it accepts every tab, pops the same Redis event list the app's listener pops, and emits each
balance as the delta the app sends, to every socket at once (one emit, encoded once). No
database, no session check, no state, no registry: what any design of the push pays at least.

    granian --interface asgi --workers 1 --port P bench.load._tab_floor_app:app
    (REDIS_URL, EVENTS_KEY and AUTH_STATE_KEY from the environment)
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import redis.asyncio as aioredis
import socketio

NAMESPACE = "/_event"

sio = socketio.AsyncServer(
    async_mode="asgi",
    cors_allowed_origins="*",
    transports=["websocket"],
    allow_upgrades=False,
    async_handlers=False,
)


@sio.on("connect", namespace=NAMESPACE)  # type: ignore[untyped-decorator]
async def connect(sid: str, environ: dict[str, Any], auth: Any) -> bool:
    return True


async def pump() -> None:
    """Forever: the next balance event, to every tab."""
    client = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    key, auth_key = os.environ["EVENTS_KEY"], os.environ["AUTH_STATE_KEY"]
    while True:
        popped = await client.blpop([key], timeout=1)  # type: ignore[misc]  # redis-py stubs
        if popped is None:
            continue
        event = json.loads(popped[1])
        update = {"delta": {auth_key: {"credits_rx_state_": event["balance"]}}, "events": []}
        await sio.emit("event", update, namespace=NAMESPACE)


async def ready(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """/readyz for the bench's wait; the pump starts with the first request."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    global _pumping
    if _pumping is None:
        _pumping = asyncio.create_task(pump())
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


_pumping: asyncio.Task[None] | None = None
app = socketio.ASGIApp(sio, other_asgi_app=ready, socketio_path="/_event")
