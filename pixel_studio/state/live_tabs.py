"""The frame every live delivery shares (state/live.py, state/account_data.py): find the
user's open tabs, read the event's data once, apply it to each tab whose session still
belongs to the user, and drop the tabs that are no longer theirs.

Kept apart from state/live.py so that a page's state module (account_data) can use it
without importing the listener, which imports that module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import reflex as rx
from reflex.event import Event
from reflex.state import BaseState, StateUpdate

from pixel_studio.state.auth import AuthState, SessionLookup, memo_lookup, session_ended
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.notifications import BellState
from pixel_studio.tabs import get_tabs

log = logging.getLogger(__name__)

T = TypeVar("T")

TABS_AT_ONCE = 16

# Change one tab of the user (root state, its AuthState, the page's path); returns the event
# specs and handlers to send to the tab after the state delta.
ChangeTab = Callable[[BaseState, AuthState, str], Awaitable[list[Any]]]


async def send_events(app: rx.App, token: str, specs: list[Any]) -> None:
    namespace = app.event_namespace
    if namespace is None:
        return
    await namespace.emit_update(StateUpdate(events=Event.from_event_type(specs)), token)


async def apply_to_user_tab(
    app: rx.App,
    token: str,
    user_id: int,
    cls: type[BaseState],
    change: ChangeTab,
    lookup: SessionLookup,
) -> bool:
    """Run `change` on one tab registered by the jobs panel or the bell; False if the tab is
    no longer the user's (another user's now, or its session has ended: then it is signed
    out and told so)."""
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=cls)) as root:
        bell = await root.get_state(BellState)
        jobs = await root.get_state(JobsState)
        if not (bell._belongs_to(user_id) or jobs._belongs_to(user_id)):
            return False
        auth = await root.get_state(AuthState)
        path = str(root.router.url.path or "")
        applies = await auth._checked_user_id(lookup) == user_id
        if applies:
            follow_up = await change(root, auth, path)
        else:
            follow_up = session_ended(path)  # the tab was signed out just now
    if follow_up:
        # Frontend events (a toast, a refresh) go to the tab after the state delta above.
        await send_events(app, token, follow_up)
    return applies


async def deliver_to_tabs(
    user_id: int,
    read: Callable[[], T],
    apply: Callable[[str, T, SessionLookup], Awaitable[bool]],
    what: str,
) -> None:
    """`read` (blocking, in a thread) once, then `apply` it to each open tab of the user;
    a failed tab is logged (`what` names the event) and skipped, never stops the others."""
    tabs = get_tabs()
    tokens = await asyncio.to_thread(tabs.tokens_for, user_id)
    if not tokens:
        return  # no open page of this user: nothing to read
    value = await asyncio.to_thread(read)
    lookup = memo_lookup()  # tabs of one browser share a session: ask once per event
    # Tabs are updated side by side: each update is a state round trip (Redis in production),
    # and one after another the last of 100 tabs waited ~250 ms (bench/load/tab_capacity.py).
    # Bounded, so one user's many tabs cannot take every connection of the pool at once.
    slots = asyncio.Semaphore(TABS_AT_ONCE)

    async def update(token: str) -> None:
        async with slots:
            try:
                if not await apply(token, value, lookup):
                    # Logged out or someone else now: stop sending this user's events there.
                    await asyncio.to_thread(tabs.forget, user_id, token)
            except Exception:
                log.exception("live: could not update tab %s for %s", token, what)

    await asyncio.gather(*(update(token) for token in tokens))
