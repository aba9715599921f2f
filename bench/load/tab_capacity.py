"""Live-tab capacity of ONE backend process: how many open pages of one signed-in user it keeps
up to date at one push a second before p95 push latency passes 250 ms, and its memory per tab.

Set-up (all loopback): a throwaway PostgreSQL database (created and dropped), a claimed Redis
database (Reflex state, tab registry, event list), one backend `reflex run --env prod
--backend-only` with GRANIAN_WORKERS=1 (one worker process: the one that holds every socket and
runs the event listener). The frontend is not built: a tab here is a Python socket.io client
speaking what the browser speaks (reflex_base's state.js): it connects to `/_event` with the
tab's token in the query, the session cookie and the site's Origin in the handshake, and the
boot event (`hydrate_and_load` with the page's router data) in the CONNECT packet's auth; the
page's on_load (`BellState.load`) then registers the tab for live events.

Each push is what a Stripe purchase does: +1 credit in the ledger (committed), then
`events.publish(BalanceEvent)`; the backend's listener (state/live.py) pops it and applies the
balance to every registered tab through `app.modify_state`. Latency = publish → the delta with
the new balance arriving at a tab, per tab (publisher and tabs share this process's clock).
N steps up (5, 10, 20, ...) until p95 > 250 ms, or pushes are lost, or tabs fail to connect.
Memory per tab = (backend process tree RSS at N - RSS with the first tab) / (N - 1); Redis's
used_memory delta per tab is printed beside it (the page state lives there).

With `--users U` the tabs belong to U users (round robin: 1,000 tabs and 500 users is two
tabs each) and each second every user gets one push (U ledger rows in one commit, then U
events): deliveries/s is still one per tab.

With `--floor` the backend is bench/load/_tab_floor_app.py instead: the same push done by hand
(a bare Socket.IO server that pops the same events and emits each balance to every socket at
once, no database, session check or state), measured by the same tabs: what the clients and
the socket cost on this machine, the least any design can reach.

With `--client-procs K` the tabs are spread over K child processes (bench/load/_tab_clients.py):
in one process the last of 1,000 copies of a push waits behind the 999 before it in the bench
itself.

    .venv/bin/python bench/load/tab_capacity.py [--steps 5,10,20,...] [--seconds 15] [--past-goal]
        [--users U] [--floor] [--client-procs K]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import redis  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.load._tab_clients import Push, TabProcesses, Tabs  # noqa: E402
from bench.load.common import (  # noqa: E402
    BIN,
    base_env,
    free_port,
    machine,
    pct,
    start,
    stop,
    tree_rss,
    uptime,
    wait_ready,
)
from pixel_studio.api.deps import SESSION_COOKIE  # noqa: E402
from pixel_studio.db import make_engine  # noqa: E402
from pixel_studio.events import BalanceEvent, publish  # noqa: E402
from pixel_studio.migrations import upgrade  # noqa: E402
from pixel_studio.models import CreditKind  # noqa: E402
from pixel_studio.services import credits, users  # noqa: E402
from pixel_studio.services.accounts import auth  # noqa: E402
from pixel_studio.settings import Settings  # noqa: E402
from pixel_studio.state.auth import AuthState  # noqa: E402
from pixel_studio.tabs import RedisTabs  # noqa: E402
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url  # noqa: E402
from tests.redis_fixtures import claimed_redis_db  # noqa: E402

GOAL_MS = 250.0
LOST_AFTER = 5.0  # seconds after which a push not seen by a tab counts as lost


def push(engine: Any, settings: Settings, user_ids: list[int]) -> list[tuple[Push, float]]:
    """+1 credit for each user, committed together, then each BalanceEvent published;
    returns each push with its publish time."""
    with Session(engine) as session:
        balances = [
            credits.change_balance(
                session, uid, 1, CreditKind.admin, note="tab bench"
            ).balance_after
            for uid in user_ids
        ]
        session.commit()
    out: list[tuple[Push, float]] = []
    for uid, balance in zip(user_ids, balances, strict=True):
        sent_at = time.perf_counter()
        publish(BalanceEvent(user_id=uid, balance=balance), settings)
        out.append(((uid, balance), sent_at))
    return out


async def measure_step(
    tabs: Tabs | TabProcesses, engine: Any, settings: Settings, user_ids: list[int], seconds: int
) -> dict[str, float]:
    pushed: list[Push] = []
    sent: dict[Push, float] = {}
    await tabs.collect()  # nothing from before this step
    for _ in range(seconds):
        tick = time.perf_counter()
        for key, sent_at in await asyncio.to_thread(push, engine, settings, user_ids):
            sent[key] = sent_at
            pushed.append(key)
        await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
    await asyncio.sleep(LOST_AFTER)
    seen = await tabs.collect()
    latencies: list[float] = []
    lost = 0
    for i, key in enumerate(pushed):
        n = tabs.owners.count(key[0])  # the tabs of that push's user
        got = [t - sent[key] for t in seen.get(key, []) if t - sent[key] <= LOST_AFTER]
        latencies.extend(got)
        lost += n - len(got)
        if len(got) < n:
            print(f"  push {i + 1}/{len(pushed)}: {n - len(got)} of {n} tabs never got it")
    ms = [x * 1000 for x in latencies]
    return {
        "p50": pct(ms, 0.50),
        "p95": pct(ms, 0.95),
        "p99": pct(ms, 0.99),
        "max": max(ms) if ms else float("nan"),
        "lost": lost,
        "expected": tabs.count * seconds,
    }


def redis_used(client: redis.Redis) -> int:
    return int(cast("dict[str, Any]", client.info("memory"))["used_memory"])


def registered(redis_url: str, user_ids: list[int]) -> int:
    return RedisTabs(redis_url).count()


def backend_command(floor: bool, port: int, env: dict[str, str], settings: Settings) -> list[str]:
    """The app's backend as production runs it, or (`floor`) the bare Socket.IO server."""
    if not floor:
        return [
            *(str(BIN / "reflex"), "run", "--env", "prod", "--backend-only"),
            *("--backend-port", str(port), "--backend-host", "127.0.0.1"),
        ]
    env.update(EVENTS_KEY=settings.events_key, AUTH_STATE_KEY=AuthState.get_full_name())
    return [
        *(str(BIN / "granian"), "--interface", "asgi", "--workers", "1"),
        *("--host", "127.0.0.1", "--port", str(port), "bench.load._tab_floor_app:app"),
    ]


async def run(args: argparse.Namespace) -> None:
    steps = [int(s) for s in args.steps.split(",")]
    what = "floor (bench/load/_tab_floor_app.py)" if args.floor else "the app"
    print(f"# live-tab capacity of {what}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}")
    print(f"# before: {uptime()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="tab-bench-") as tmp, claimed_redis_db() as redis_url:
        name = create_pg_database()
        backend = None
        try:
            db_url = pg_url(name)
            upgrade(db_url)
            engine = make_engine(db_url)
            settings = Settings(database_url=db_url, redis_url=redis_url)
            # The bench's users never log in with their password (each gets a session below):
            # the cheapest argon2 hash, or 500 users take minutes to create on 2 loaded cores.
            users._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
            cookies: list[tuple[int, str]] = []
            with Session(engine) as session:
                for i in range(args.users):
                    user = users.create_user(
                        session, f"tabs{i}", f"tabs{i}@example.com", "long enough pw", bonus=5
                    )
                    assert user.id is not None
                    cookies.append((user.id, auth.create_session(session, user.id, settings)))
                session.commit()
            user_ids = [uid for uid, _ in cookies]
            port = free_port()
            env = base_env(Path(tmp), port)
            env.update(
                DATABASE_URL=db_url,
                REDIS_URL=redis_url,
                GRANIAN_WORKERS="1",
                CELERY_QUEUE=f"tabs-{uuid.uuid4().hex[:8]}",
            )
            log = Path(tmp) / "backend.log"
            backend = start(backend_command(args.floor, port, env, settings), env, log)
            url = f"http://127.0.0.1:{port}"
            wait_ready([f"{url}/readyz"], [backend], log)
            rds = redis.Redis.from_url(redis_url)
            tabs: Tabs | TabProcesses = (
                TabProcesses(url, cookies, SESSION_COOKIE, args.client_procs)
                if args.client_procs > 1
                else Tabs(url, cookies, SESSION_COOKIE)
            )
            # The first tab warms the app up (imports, pools, first event) and stays open: it
            # is the baseline, and counts as one of the N tabs of every step.
            await tabs.grow(1)
            await asyncio.sleep(3)
            rss0, redis0 = tree_rss(backend.pid), redis_used(rds)
            print(f"backend process tree RSS with one tab: {rss0 / 2**20:.0f} MiB", flush=True)
            print(
                "| tabs | pushes/s | deliveries/s | p50 ms | p95 ms | p99 ms | max ms | lost "
                "| RSS MiB | RSS/tab KiB | Redis/tab KiB | load avg |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for n in steps:
                await tabs.grow(n)
                deadline = time.monotonic() + 60
                while not args.floor and registered(redis_url, user_ids) < tabs.count:
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(1)
                rss = tree_rss(backend.pid)
                used = redis_used(rds)
                got = await measure_step(tabs, engine, settings, user_ids, args.seconds)
                count = tabs.count
                load = uptime().rsplit("load average:", 1)[-1].strip()
                print(
                    f"| {count} | {len(user_ids)} | {count} | {got['p50']:.0f} | {got['p95']:.0f} "
                    f"| {got['p99']:.0f} | {got['max']:.0f} | {got['lost']:.0f}/"
                    f"{got['expected']:.0f} | {rss / 2**20:.0f} "
                    f"| {(rss - rss0) / max(count - 1, 1) / 1024:.0f} "
                    f"| {(used - redis0) / max(count - 1, 1) / 1024:.1f} | {load} |",
                    flush=True,
                )
                if tabs.failed:
                    print(f"stopped: {tabs.failed} tabs failed to connect")
                    break
                if (got["p95"] > GOAL_MS or got["lost"] > 0) and not args.past_goal:
                    print(f"stopped: p95 {got['p95']:.0f} ms > {GOAL_MS:.0f} ms or pushes lost")
                    break
            await tabs.close()
            engine.dispose()
        finally:
            if backend is not None:
                stop(backend)
            drop_pg_database(name)
    print(f"# after: {uptime()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="5,10,20,30,40,50,75,100,200,400")
    parser.add_argument("--seconds", type=int, default=15, help="pushes (one a second) per step")
    parser.add_argument(
        "--users", type=int, default=1, help="users the tabs belong to (round robin)"
    )
    parser.add_argument(
        "--floor", action="store_true", help="the bare Socket.IO server instead of the app"
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=1,
        help="processes the tabs are spread over (bench/load/_tab_clients.py)",
    )
    parser.add_argument(
        "--past-goal",
        action="store_true",
        help="keep stepping after p95 passes 250 ms (memory per tab at larger N)",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
