"""Live pushes (state/live.py) through Reflex's real Redis state manager, as production runs it
(no opportunistic lock: bench/RESULTS.md, "More live tabs"): a pushed value is in the tab's
state when the tab reloads, in this backend process or in another one; no push is lost when
many run at once beside the tab's own events; a burst of events is delivered per user in
order, each user's stale balance and unread-count events folded into the last.

The other live tests (test_credits_state.py, test_jobs_state.py) hand the listener one
in-memory tree; here the tree lives in Redis, as it does in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import reflex as rx
from reflex.istate.manager.redis import StateManagerRedis
from reflex.state import BaseState, StateUpdate
from reflex_base.event.context import EventContext

from pixel_studio.db import session_scope
from pixel_studio.events import AnyEvent, BalanceEvent, JobEvent, NotificationEvent
from pixel_studio.models import CreditKind
from pixel_studio.services import credits as credits_service
from pixel_studio.state import live
from pixel_studio.state.auth import AuthState
from pixel_studio.state.credits import CreditsState
from pixel_studio.state.notifications import BellState
from pixel_studio.tabs import get_tabs
from tests.redis_fixtures import claimed_redis_db
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    new_user,
    run,
    signed_in_cookie,
)
from tests.state.test_create_state import sibling, signed_in


async def _no(*_: Any, **__: Any) -> None:
    """Nothing is queued from these pushes (the follow-up events go through emit_update)."""


class ManagerApp:
    """What the listener uses of `rx.App`, over a real state manager: `modify_state` does
    what `App.modify_state` does (lock, load, change, delta to the tab, save)."""

    def __init__(self, manager: StateManagerRedis) -> None:
        self.manager = manager
        self.sent: list[tuple[str, StateUpdate]] = []
        self.event_namespace = self

    @contextlib.asynccontextmanager
    async def modify_state(self, token: rx.BaseStateToken) -> AsyncIterator[BaseState]:
        # The event context App.set_contexts gives: `root.get_state` finds the manager there.
        context = EventContext(token=token.ident, state_manager=self.manager, enqueue_impl=_no)
        reset = EventContext.set(context)
        try:
            async with self.manager.modify_state_with_links(token) as root:
                yield root
                delta = await root._get_resolved_delta()
                root._clean()
                if delta:
                    await self.emit_update(StateUpdate(delta=delta), token.ident)
        finally:
            EventContext.reset(reset)

    async def emit_update(self, update: StateUpdate, token: str) -> None:
        self.sent.append((token, update))


@pytest.fixture
def redis_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("REFLEX_OPLOCK_ENABLED", raising=False)  # off in production
    with claimed_redis_db() as url:
        yield url


def new_manager(url: str) -> StateManagerRedis:
    """A backend process's state manager (each test's loop gets its own client)."""
    manager = StateManagerRedis(redis=aioredis.Redis.from_url(url))  # type: ignore[abstract]
    assert not manager._oplock_enabled  # what production runs with
    return manager


def open_tab(user: Any, path: str = "/credits") -> tuple[str, BaseState]:
    """A tab of `user` on `path` whose page has loaded (its bell registered it)."""
    state = signed_in(CreditsState, signed_in_cookie(user), path)
    run(BellState.load, sibling(state, BellState))
    root = state.parent_state
    assert root is not None
    return root.router.session.client_token, root


def tab_token(token: str) -> rx.BaseStateToken:
    return rx.BaseStateToken(ident=token, cls=AuthState)


async def save_tab(manager: StateManagerRedis, token: str, root: BaseState) -> None:
    """The tab's page state as the page load left it, in Redis."""
    await manager.set_state(tab_token(token), root)


async def reload_credits(url: str, token: str) -> int:
    """What a reload of the tab (its hydrate event, in another backend process) reads."""
    other = new_manager(url)
    try:
        async with ManagerApp(other).modify_state(tab_token(token)) as root:
            return (await root.get_state(AuthState)).credits
    finally:
        await other.close()


def pushed_credits(app: ManagerApp, token: str) -> list[int]:
    auth_key = AuthState.get_full_name()
    return [
        value
        for to, update in app.sent
        if to == token
        for name, value in update.delta.get(auth_key, {}).items()
        if name.startswith("credits")
    ]


def buy(user_id: int, amount: int) -> int:
    with session_scope() as s:
        return credits_service.change_balance(
            s, user_id, amount, CreditKind.admin, note="live push test"
        ).balance_after


def test_a_pushed_balance_is_in_the_state_a_reload_reads(app_db: Path, redis_url: str) -> None:  # noqa: F811
    get_tabs.cache_clear()
    user = new_user("pushed")
    uid = user.id or 0
    token, root = open_tab(user)
    balance = buy(uid, 40)

    async def go() -> tuple[int, int]:
        manager = new_manager(redis_url)
        app = ManagerApp(manager)
        try:
            await save_tab(manager, token, root)
            await live.deliver_balance(app, BalanceEvent(user_id=uid, balance=balance))  # type: ignore[arg-type]
            assert pushed_credits(app, token) == [balance]
            # A reload served by this process...
            async with app.modify_state(tab_token(token)) as again:
                here = (await again.get_state(AuthState)).credits
            # ...and by another backend process.
            there = await reload_credits(redis_url, token)
            return here, there
        finally:
            await manager.close()

    here, there = asyncio.run(go())
    assert here == there == balance
    get_tabs.cache_clear()


def test_no_push_is_lost_beside_the_tabs_own_events(app_db: Path, redis_url: str) -> None:  # noqa: F811
    """Ten purchases delivered at once to three tabs of the user, while each tab runs its own
    events on the same state: every tab is sent the last balance, keeps it after a reload, and
    keeps what its own events changed."""
    get_tabs.cache_clear()
    user = new_user("many")
    uid = user.id or 0
    tabs = [open_tab(user) for _ in range(3)]
    balances = [buy(uid, 1) for _ in range(10)]

    async def own_event(app: ManagerApp, token: str, i: int) -> None:
        async with app.modify_state(tab_token(token)) as root:
            bell = await root.get_state(BellState)
            bell.unread = i  # a field the pushes do not touch
            await asyncio.sleep(0)  # let a push try to cut in while the lock is held

    async def own_events(app: ManagerApp, token: str) -> None:
        for i in range(5):  # one tab's events come one after another, as Reflex runs them
            await own_event(app, token, i)

    async def go() -> tuple[ManagerApp, list[int], list[int]]:
        manager = new_manager(redis_url)
        app = ManagerApp(manager)
        try:
            for token, root in tabs:
                await save_tab(manager, token, root)
            pushes = [
                live.deliver_balance(app, BalanceEvent(user_id=uid, balance=b))  # type: ignore[arg-type]
                for b in balances
            ]
            own = [own_events(app, token) for token, _ in tabs]
            await asyncio.gather(*pushes, *own)
            credits = [await reload_credits(redis_url, token) for token, _ in tabs]
            other = new_manager(redis_url)
            try:
                unread = []
                for token, _ in tabs:
                    async with ManagerApp(other).modify_state(tab_token(token)) as root:
                        unread.append((await root.get_state(BellState)).unread)
            finally:
                await other.close()
            return app, credits, unread
        finally:
            await manager.close()

    app, credits, unread = asyncio.run(go())
    # Every push re-reads the balance as the database has it now, so each delivery carries
    # the latest value: every tab shows the final balance and its state keeps it.
    assert credits == [balances[-1]] * 3
    assert unread == [4] * 3
    for token, _ in tabs:
        sent = pushed_credits(app, token)
        assert sent and sent[-1] == balances[-1]
    get_tabs.cache_clear()


def test_a_burst_is_delivered_per_user_in_order_with_stale_values_folded() -> None:
    job = [JobEvent(job_id="j", user_id=1, status="running", done=n, total=3) for n in range(3)]
    burst: list[AnyEvent] = [
        BalanceEvent(user_id=1, balance=10),
        job[0],
        NotificationEvent(user_id=2, unread=1),
        BalanceEvent(user_id=2, balance=7),
        job[1],
        BalanceEvent(user_id=1, balance=11),
        NotificationEvent(user_id=2, unread=2),
        job[2],
    ]
    assert live.coalesce(burst) == {
        1: [job[0], job[1], BalanceEvent(user_id=1, balance=11), job[2]],
        2: [BalanceEvent(user_id=2, balance=7), NotificationEvent(user_id=2, unread=2)],
    }

    delivered: list[AnyEvent] = []
    running: dict[int, int] = {1: 0, 2: 0}
    overlap: list[bool] = []
    pushed: list[dict[int, list[AnyEvent]]] = []

    async def record(app: Any, event: AnyEvent) -> None:
        running[event.user_id] += 1
        overlap.append(running[event.user_id] > 1)  # two of one user's events at once?
        await asyncio.sleep(0.01)
        delivered.append(event)
        running[event.user_id] -= 1

    async def record_values(app: Any, values: dict[int, list[AnyEvent]]) -> None:
        pushed.append(values)
        for mine in values.values():
            delivered.extend(mine)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(live, "deliver_event", record)
        mp.setattr(live, "deliver_values", record_values)
        asyncio.run(live.deliver_burst(None, burst))  # type: ignore[arg-type]
    assert not any(overlap)
    # User 1 has job events: one after another, the balance between them where it arrived.
    assert [e for e in delivered if e.user_id == 1] == live.coalesce(burst)[1]
    # User 2 only has values: pushed with every such user at once, in order.
    assert pushed == [{2: live.coalesce(burst)[2]}]
    # Users go side by side: user 2's values are not held behind all four of user 1's.
    assert delivered.index(BalanceEvent(user_id=2, balance=7)) < 2
