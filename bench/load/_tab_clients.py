"""The tabs of bench/load/tab_capacity.py: python-socketio clients speaking what the browser
speaks (reflex_base's state.js), in this process (`Tabs`) or spread over child processes
(`TabProcesses`, `--client-procs K`).

One process receiving every tab's copy of a push handles them one after another: with 1,000
tabs of one user, the last copy waits for the 999 before it in the bench itself, on the same
2 cores as the server. Child processes take their share of the tabs in parallel. Arrival times
are `time.perf_counter()` (CLOCK_MONOTONIC on Linux: one clock for every process), compared
with the publish times in the parent.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from multiprocessing.connection import Connection
from typing import Any

import socketio

BOOT_EVENT = "reflex___state____state.hydrate_and_load"
PAGE = "/explore"
# The browser opens io("<site>/_event", {path: "/_event"}): the URL's path is the namespace.
NAMESPACE = "/_event"
Push = tuple[int, int]  # (user id, balance): one push to one user's tabs


def credits_in(update: dict[str, Any]) -> int | None:
    """The AuthState credits value a state update carries, if any."""
    for state, fields in (update.get("delta") or {}).items():
        if state.endswith("auth_state") and isinstance(fields, dict):
            for name, value in fields.items():
                if name.startswith("credits") and isinstance(value, int):
                    return value
    return None


class Tabs:
    """Socket.IO clients in this process, spread round robin over the users' cookies: tab j
    of this process is tab `offset + j * stride` of the whole bench. `seen[(user, balance)]`
    is when each tab first got that balance."""

    def __init__(
        self,
        url: str,
        cookies: list[tuple[int, str]],
        cookie_name: str,
        offset: int = 0,
        stride: int = 1,
    ) -> None:
        self.url = url
        self.cookies = cookies
        self.cookie_name = cookie_name
        self.offset, self.stride = offset, stride
        self.clients: list[socketio.AsyncClient] = []
        self.owners: list[int] = []  # the user of each tab (clients[i])
        # Arrival times, not latencies: a push can arrive before the publishing thread has
        # handed back its publish time (500 users' publishes take a while, and the first
        # users' tabs are updated meanwhile).
        self.seen: dict[Push, list[float]] = {}
        self.failed = 0
        self._opened = 0

    async def open_one(self) -> None:
        client = socketio.AsyncClient(reconnection=False)
        seen_here: set[int] = set()
        index = self.offset + self._opened * self.stride
        user_id, cookie = self.cookies[index % len(self.cookies)]
        self._opened += 1

        @client.on("event", namespace=NAMESPACE)  # type: ignore[misc]
        async def on_update(update: Any) -> None:
            now = time.perf_counter()
            value = credits_in(update) if isinstance(update, dict) else None
            if value is not None and value not in seen_here:
                seen_here.add(value)
                self.seen.setdefault((user_id, value), []).append(now)

        token = str(uuid.uuid4())
        try:
            await client.connect(
                f"{self.url}?token={token}",
                headers={"Cookie": f"{self.cookie_name}={cookie}", "Origin": self.url},
                auth={
                    "event": {
                        "name": BOOT_EVENT,
                        "payload": {},
                        "router_data": {"pathname": PAGE, "asPath": PAGE},
                    }
                },
                transports=["websocket"],
                socketio_path="/_event",
                namespaces=[NAMESPACE],
                wait_timeout=30,
            )
            self.clients.append(client)
            self.owners.append(user_id)
        except Exception as exc:  # counted and reported: a refused tab is a capacity result
            self.failed += 1
            print(f"  tab failed to connect: {exc!r}", flush=True)

    @property
    def count(self) -> int:
        return len(self.clients)

    async def grow(self, n: int) -> None:
        missing = n - len(self.clients)
        for start_at in range(0, missing, 20):  # 20 at a time: a page-load burst, not a storm
            await asyncio.gather(*(self.open_one() for _ in range(min(20, missing - start_at))))

    async def collect(self) -> dict[Push, list[float]]:
        """The arrivals so far, handed over and forgotten."""
        seen, self.seen = self.seen, {}
        return seen

    async def close(self) -> None:
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


def _share(n: int, i: int, k: int) -> int:
    """How many of the first n tabs (round robin) child i of k holds."""
    return len(range(i, n, k))


def _child(
    conn: Connection, url: str, cookies: list[tuple[int, str]], name: str, i: int, k: int
) -> None:
    async def serve() -> None:
        tabs = Tabs(url, cookies, name, offset=i, stride=k)
        while True:
            command, arg = await asyncio.to_thread(conn.recv)
            if command == "grow":
                await tabs.grow(arg)
                conn.send((len(tabs.clients), tabs.failed, tabs.owners))
            elif command == "collect":
                conn.send(await tabs.collect())
            else:
                await tabs.close()
                conn.send(None)
                return

    asyncio.run(serve())


class TabProcesses:
    """The same tabs, spread round robin over k child processes."""

    def __init__(self, url: str, cookies: list[tuple[int, str]], cookie_name: str, k: int) -> None:
        context = multiprocessing.get_context("spawn")  # the parent holds threads and a loop
        self.k = k
        self.conns: list[Connection] = []
        self.procs = []
        for i in range(k):
            parent, child = context.Pipe()
            proc = context.Process(target=_child, args=(child, url, cookies, cookie_name, i, k))
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)
        self.owners: list[int] = []
        self.failed = 0
        self.count = 0

    async def _ask(self, command: str, arg: Any = None) -> list[Any]:
        for i, conn in enumerate(self.conns):
            conn.send((command, arg(i) if callable(arg) else arg))
        return [await asyncio.to_thread(conn.recv) for conn in self.conns]

    async def grow(self, n: int) -> None:
        replies = await self._ask("grow", lambda i: _share(n, i, self.k))
        self.count = sum(count for count, _, _ in replies)
        self.failed = sum(failed for _, failed, _ in replies)
        self.owners = [owner for _, _, owners in replies for owner in owners]

    async def collect(self) -> dict[Push, list[float]]:
        merged: dict[Push, list[float]] = {}
        for seen in await self._ask("collect"):
            for key, times in seen.items():
                merged.setdefault(key, []).extend(times)
        return merged

    async def close(self) -> None:
        await self._ask("close")
        for proc in self.procs:
            proc.join(timeout=10)
