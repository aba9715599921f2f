"""The frame every live delivery shares (state/live.py, state/account_data.py): find the
user's open tabs, read the event's data once, apply it to each tab whose session still
belongs to the user, and drop the tabs that are no longer theirs.

Two ways to reach a tab:
- `deliver_to_tabs`: lock, load, change and save each tab's state (job events: a job's
  progress changes lists the page holds).
- `push_to_tabs`, for small values a tab only shows (the balance, the unread count), for many
  users at once: the sessions of all their tabs are checked in one query, and each value goes
  as one delta, encoded once, to every socket whose session is live, with no tab's state
  loaded. The state catches up at the tab's next event (the balance comes with the identity
  check every event makes, the unread count with the bell's on_load). A tab whose session has
  ended, or that was registered without one, takes the first way, which signs it out. One
  backend process held about 300 tabs within p95 250 ms the first way, 1,000 the second
  (bench/RESULTS.md, "More live tabs", "Small values straight to the sockets").

Kept apart from state/live.py so that a page's state module (account_data) can use it
without importing the listener, which imports that module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import reflex as rx
from reflex.event import Event
from reflex.state import BaseState, StateUpdate
from reflex_base.constants.state import FIELD_MARKER

from pixel_studio.db import session_scope
from pixel_studio.services.accounts import sessions
from pixel_studio.state.auth import AuthState, SessionLookup, memo_lookup, session_ended
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.notifications import BellState
from pixel_studio.tabs import Tab, get_tabs

log = logging.getLogger(__name__)

T = TypeVar("T")

TABS_AT_ONCE = 16

# Change one tab of the user (root state, its AuthState, the page's path); returns the event
# specs and handlers to send to the tab after the state delta.
ChangeTab = Callable[[BaseState, AuthState, str], Awaitable[list[Any]]]
# Apply a value read once to one tab (token, value, session lookup); False if the tab is no
# longer the user's.
ApplyTab = Callable[[str, T, SessionLookup], Awaitable[bool]]
Delta = dict[str, dict[str, Any]]


def fields_delta(cls: type[BaseState], **values: Any) -> Delta:
    """A delta that sets these vars of one state, written as Reflex writes its own."""
    return {cls.get_full_name(): {name + FIELD_MARKER: value for name, value in values.items()}}


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
    user_id: int, read: Callable[[], T], apply: ApplyTab[T], what: str
) -> None:
    """`read` (blocking, in a thread) once, then `apply` it to each open tab of the user;
    a failed tab is logged (`what` names the event) and skipped, never stops the others."""
    tabs = await asyncio.to_thread(get_tabs().tabs_for, user_id)
    if not tabs:
        return  # no open page of this user: nothing to read
    value = await asyncio.to_thread(read)
    await _apply_each(user_id, [tab.token for tab in tabs], value, apply, what)


async def _apply_each(
    user_id: int, tokens: list[str], value: T, apply: ApplyTab[T], what: str
) -> None:
    lookup = memo_lookup()  # tabs of one browser share a session: ask once per event
    # Tabs are updated side by side: each update is a state round trip (Redis in production),
    # and one after another the last of 100 tabs waited ~250 ms (bench/load/tab_capacity.py).
    # Bounded, so one user's many tabs cannot take every connection of the pool at once.
    slots = asyncio.Semaphore(TABS_AT_ONCE)
    tabs = get_tabs()

    async def update(token: str) -> None:
        async with slots:
            try:
                if not await apply(token, value, lookup):
                    # Logged out or someone else now: stop sending this user's events there.
                    await asyncio.to_thread(tabs.forget, user_id, token)
            except Exception:
                log.exception("live: could not update tab %s for %s", token, what)

    await asyncio.gather(*(update(token) for token in tokens))


@dataclass(frozen=True)
class Push:
    """One small value for one user's tabs."""

    delta: Delta
    follow_up: Callable[[str], list[Any]]  # a page's events to run after it (by path)
    apply: Callable[[str, SessionLookup], Awaitable[bool]]  # the state path, per token
    what: str  # for the log


# Blocking: the pushes for these users (each has open tabs), read once from the database.
ReadPushes = Callable[[list[int]], dict[int, list[Push]]]


def live_session_users(tabs: dict[int, list[Tab]]) -> dict[int, int]:
    """Blocking: the live sessions among these tabs', each with its user (one query)."""
    ids = {tab.session_id for mine in tabs.values() for tab in mine if tab.session_id}
    if not ids:
        return {}
    with session_scope() as session:
        return sessions.live_session_users(session, ids)


async def push_to_tabs(app: rx.App, user_ids: list[int], read: ReadPushes) -> None:
    """Send small values to every open tab of these users whose session is live, without
    loading their states: the tabs of every user in one Redis round trip, the values and the
    sessions in one thread hop, each value encoded once for the tabs on pages alike.
    A user's values go in order. The other tabs take each push's `apply` (the state path:
    it signs out a tab whose session has ended)."""
    tabs = await asyncio.to_thread(get_tabs().tabs_of, user_ids)
    if not tabs:
        return  # no open page of any of them: nothing to read

    def read_all() -> tuple[dict[int, list[Push]], dict[int, int]]:
        return read(list(tabs)), live_session_users(tabs)

    pushes, live = await asyncio.to_thread(read_all)
    for user_id, mine in tabs.items():
        fresh = [tab for tab in mine if live.get(tab.session_id or 0) == user_id]
        others = [tab.token for tab in mine if live.get(tab.session_id or 0) != user_id]
        for push in pushes.get(user_id, []):
            await _emit_push(app, push, fresh)
            if others:
                await _apply_each(
                    user_id,
                    others,
                    push,
                    lambda token, p, lookup: p.apply(token, lookup),
                    push.what,
                )


async def _emit_push(app: rx.App, push: Push, tabs: list[Tab]) -> None:
    """The value to each tab, with its page's follow-up events: one emit per kind of page."""
    by_page: dict[tuple[str, ...], tuple[list[Any], list[str]]] = {}
    for tab in tabs:
        specs = push.follow_up(tab.path)
        by_page.setdefault(tuple(map(repr, specs)), (specs, []))[1].append(tab.token)
    for specs, tokens in by_page.values():
        update = StateUpdate(delta=push.delta, events=Event.from_event_type(specs))
        try:
            await emit_to_tabs(app, tokens, update)
        except Exception:
            log.exception("live: could not push %s to %d tabs", push.what, len(tokens))


async def emit_to_tabs(app: rx.App, tokens: list[str], update: StateUpdate) -> None:
    """One update to many tabs: one Socket.IO emit for the sockets this process holds (the
    packet is encoded once), Reflex's per-tab path for the others (with Redis it hands them to
    the process that holds their socket)."""
    namespace = app.event_namespace
    if namespace is None:
        return
    manager = namespace._token_manager  # what Reflex's own emit_update looks sockets up in
    here: list[str] = []
    elsewhere: list[str] = []
    for token in tokens:
        record = manager.token_to_socket.get(token)
        if record is not None and record.instance_id == manager.instance_id:
            here.append(record.sid)
        else:
            elsewhere.append(token)
    if here:
        await namespace.emit(str(rx.constants.SocketEvent.EVENT), update, to=here)
    for token in elsewhere:
        await namespace.emit_update(update, token)
