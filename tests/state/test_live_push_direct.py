"""Small live values (the balance, the unread count) pushed straight to the sockets of the
user's live tabs (state/live_tabs.push_to_tabs): no tab's state is loaded, the value a tab is
sent is what the database has, a reload reads it too, a tab whose session has ended is signed
out instead, and the delta is written exactly as Reflex writes its own.

Tabs here are opened as the app opens them: the identity middleware runs before the page's
on_load, so the registry knows each tab's session and page.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from reflex.state import BaseState, StateUpdate
from reflex.utils.token_manager import SocketRecord
from reflex_base.constants.state import FIELD_MARKER

from pixel_studio.db import session_scope
from pixel_studio.events import BalanceEvent, NotificationEvent
from pixel_studio.services.accounts import auth
from pixel_studio.services.social import notifications
from pixel_studio.state import live, live_values
from pixel_studio.state.auth import AuthState
from pixel_studio.state.credits import CreditsState
from pixel_studio.state.live_tabs import emit_to_tabs, fields_delta
from pixel_studio.state.notifications import BellState
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)
from tests.state.test_create_state import sibling
from tests.state.test_live_push import (  # noqa: F401 - redis_url is a fixture
    ManagerApp,
    buy,
    new_manager,
    redis_url,
    save_tab,
    tab_token,
)


def wait(coro: Any) -> Any:
    """Run a coroutine to its end in a thread of its own (Playwright may own this loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def open_tab(cookie: str, path: str) -> tuple[str, BaseState]:
    """A tab as the app opens it: identity middleware, then the page's on_load (the shell,
    the bell, which registers the tab with its session and path)."""
    token = f"tab-{uuid.uuid4().hex[:8]}"
    state = make_state(CreditsState, cookie=cookie, path=path, token=token)
    auth_state = sibling(state, AuthState)
    wait(auth_state._verify_identity())
    run(AuthState.require_user, auth_state)
    run(BellState.load, sibling(state, BellState))
    assert state.parent_state is not None
    return token, state.parent_state


class PushApp(ManagerApp):
    """The listener's app over a real Redis state manager; no socket is held by this process,
    so every pushed update goes through `emit_update` (Reflex's per-tab path), recorded."""

    def __init__(self, manager: Any) -> None:
        super().__init__(manager)
        self._token_manager = SimpleNamespace(token_to_socket={}, instance_id="this process")


def delivered(
    url: str, tabs: list[tuple[str, BaseState]], deliver: Callable[[Any], Awaitable[None]]
) -> PushApp:
    """The tabs' page states saved in Redis, then `deliver(app)` run; the app, with what it sent."""

    async def go() -> PushApp:
        manager = new_manager(url)
        app = PushApp(manager)
        try:
            for token, root in tabs:
                await save_tab(manager, token, root)
            await deliver(app)
            return app
        finally:
            await manager.close()

    return cast(PushApp, wait(go()))


def sent_to(app: ManagerApp, token: str) -> list[StateUpdate]:
    return [update for to, update in app.sent if to == token]


def event_names(update: StateUpdate) -> list[str]:
    return [event.name for event in update.events]


async def state_credits(url: str, token: str, *, reload: bool) -> int:
    """The credits in the tab's saved state; with `reload`, after the identity check that
    every event (a reload's hydrate too) starts with, in another backend process."""
    other = new_manager(url)
    try:
        async with ManagerApp(other).modify_state(tab_token(token)) as root:
            auth_state = await root.get_state(AuthState)
            if reload:
                await auth_state._verify_identity()
            return auth_state.credits
    finally:
        await other.close()


def test_a_balance_goes_to_live_tabs_without_their_state(app_db: Path, redis_url: str) -> None:  # noqa: F811
    get_tabs.cache_clear()
    user = new_user("direct")
    cookie = signed_in_cookie(user)
    explore, explore_root = open_tab(cookie, "/explore")
    history, history_root = open_tab(cookie, "/credits")
    assert all(tab.session_id for tab in get_tabs().tabs_for(user.id or 0))
    balance = buy(user.id or 0, 40)

    async def go() -> tuple[PushApp, int, int]:
        manager = new_manager(redis_url)
        app = PushApp(manager)
        try:
            await save_tab(manager, explore, explore_root)
            await save_tab(manager, history, history_root)
            await live.deliver_balance(app, BalanceEvent(user_id=user.id or 0, balance=1))  # type: ignore[arg-type]
            saved = await state_credits(redis_url, explore, reload=False)
            reloaded = await state_credits(redis_url, explore, reload=True)
            return app, saved, reloaded
        finally:
            await manager.close()

    app, saved, reloaded = wait(go())
    # The database's balance (the event said 1), one update per tab: the delta, and on
    # /credits its history's refresh with it.
    [to_explore] = sent_to(app, explore)
    [to_history] = sent_to(app, history)
    assert to_explore.delta == to_history.delta == fields_delta(AuthState, credits=balance)
    assert event_names(to_explore) == []
    assert [name.rsplit(".", 1)[-1] for name in event_names(to_history)] == ["refresh"]
    assert event_names(to_history)[0].startswith(CreditsState.get_full_name())
    # No state was loaded or saved for it: the saved state still has the page load's 5...
    assert saved == 5
    # ...and the tab's next event (a reload's hydrate first of all) reads the pushed value.
    assert reloaded == balance
    get_tabs.cache_clear()


def test_a_tab_whose_session_ended_is_signed_out_not_sent_the_value(
    app_db: Path,  # noqa: F811
    redis_url: str,  # noqa: F811
) -> None:
    get_tabs.cache_clear()
    user = new_user("twodevices")
    uid = user.id or 0
    laptop_cookie, phone_cookie = signed_in_cookie(user), signed_in_cookie(user)
    laptop, laptop_root = open_tab(laptop_cookie, "/explore")
    phone, phone_root = open_tab(phone_cookie, "/image/3")
    other = new_user("liker")
    with session_scope() as s:
        auth.revoke(s, laptop_cookie.split("ps_session=", 1)[1])
        notifications.notify(
            s, recipient_id=uid, actor_id=other.id or 0, kind=notifications.Kind.follow
        )

    app = delivered(
        redis_url,
        [(laptop, laptop_root), (phone, phone_root)],
        lambda app: live.deliver_notification(app, NotificationEvent(user_id=uid, unread=9)),
    )
    [to_phone] = sent_to(app, phone)
    assert to_phone.delta == fields_delta(
        BellState, unread=1, badge="1", label="Notifications, 1 unread"
    )
    assert [name.rsplit(".", 1)[-1] for name in event_names(to_phone)] == ["refresh"]  # comments
    # The laptop's session was revoked: no count, told so and sent to log in, unregistered.
    to_laptop = sent_to(app, laptop)
    changed = [fields for u in to_laptop for fields in u.delta.values()]
    assert all(fields.get("unread" + FIELD_MARKER, 0) == 0 for fields in changed)  # reset
    assert [f["signed_in" + FIELD_MARKER] for f in changed if "signed_in" + FIELD_MARKER in f] == [
        False
    ]
    assert len([name for u in to_laptop for name in event_names(u)]) == 2  # toast, redirect
    assert [t.token for t in get_tabs().tabs_for(uid)] == [phone]
    get_tabs.cache_clear()


def test_the_pushed_delta_is_written_as_reflex_writes_it(app_db: Path) -> None:  # noqa: F811
    state = make_state(BellState)
    state.unread = 120
    auth_state = sibling(state, AuthState)
    auth_state.credits = 7
    root = state.parent_state
    assert root is not None
    delta = wait(root._get_resolved_delta())
    ours = {**live_values.bell_delta(120), **fields_delta(AuthState, credits=7)}
    for name, fields in ours.items():
        assert fields.items() <= delta[name].items()
    assert live_values.bell_delta(120)[BellState.get_full_name()].keys() == {
        key for key in delta[BellState.get_full_name()] if not key.startswith("_")
    }


def test_one_emit_reaches_every_socket_this_process_holds() -> None:
    emitted: list[tuple[str, StateUpdate, list[str]]] = []
    forwarded: list[str] = []

    class Namespace:
        _token_manager = SimpleNamespace(
            instance_id="me",
            token_to_socket={
                "a": SocketRecord(instance_id="me", sid="sid-a"),
                "b": SocketRecord(instance_id="me", sid="sid-b"),
                "far": SocketRecord(instance_id="another process", sid="sid-far"),
            },
        )

        async def emit(self, event: str, update: StateUpdate, to: list[str]) -> None:
            emitted.append((event, update, to))

        async def emit_update(self, update: StateUpdate, token: str) -> None:
            forwarded.append(token)

    update = StateUpdate(delta=fields_delta(AuthState, credits=3))
    app = SimpleNamespace(event_namespace=Namespace())
    wait(emit_to_tabs(app, ["a", "far", "b", "gone"], update))  # type: ignore[arg-type]
    assert emitted == [("event", update, ["sid-a", "sid-b"])]
    # Another process's socket and an unknown tab: Reflex's own path (lost and found, or a
    # warning for a tab that is gone).
    assert forwarded == ["far", "gone"]


def test_a_burst_pushes_each_user_their_own_values(app_db: Path, redis_url: str) -> None:  # noqa: F811
    get_tabs.cache_clear()
    ada, bo = new_user("ada"), new_user("bob")
    ada_tab, ada_root = open_tab(signed_in_cookie(ada), "/explore")
    bo_tab, bo_root = open_tab(signed_in_cookie(bo), "/notifications")
    ada_balance, bo_balance = buy(ada.id or 0, 3), buy(bo.id or 0, 30)
    burst: list[Any] = [
        BalanceEvent(user_id=ada.id or 0, balance=0),
        BalanceEvent(user_id=bo.id or 0, balance=0),
        NotificationEvent(user_id=bo.id or 0, unread=5),
    ]

    app = delivered(
        redis_url,
        [(ada_tab, ada_root), (bo_tab, bo_root)],
        lambda app: live.deliver_burst(app, burst),
    )
    assert [u.delta for u in sent_to(app, ada_tab)] == [
        fields_delta(AuthState, credits=ada_balance)
    ]
    to_bo = sent_to(app, bo_tab)
    assert [u.delta for u in to_bo] == [
        fields_delta(AuthState, credits=bo_balance),
        live_values.bell_delta(0),  # the database's count, not the event's 5
    ]
    assert event_names(to_bo[0]) == []
    assert [name.rsplit(".", 1)[-1] for name in event_names(to_bo[1])] == ["load"]  # the list
    get_tabs.cache_clear()
