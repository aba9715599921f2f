"""The backend's job-event listener: workers' progress reaches every open tab of the user.

A lifespan task (registered in pixel_studio.py) pops events from `events.EventSource` (the
in-process queue, or the Redis list shared by every backend process) and applies each to the
Reflex state of every tab the user has registered, with `app.modify_state` (REFLEX_NOTES.md,
"Pushing state from outside an event"). The delta goes to the tab when the block exits; with
Redis state, Reflex forwards it to whichever backend process holds the tab's socket.

For each event the job is read once from the database (in a thread): the page gets the
thumbnail URLs of new images, and a late or missed event is corrected by what the database
says now. Before each tab is updated its session is checked (once per session token and
event): a tab whose session has ended is signed out and unregistered, never updated. A bad
event or tab is logged and skipped: nothing here may stop the loop.

Notification events (the user's unread count changed) take the same path: the count is read
again from the database once per event, and every open tab of the user whose session is
live gets it in its bell (and the page refreshes its list or comment thread if it shows one).
Tabs are registered by the jobs panel and by the bell (state/notifications.py), so a tab
without the jobs panel is not dropped from the registry by a job event.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.state import BaseState

from pixel_studio.db import session_scope
from pixel_studio.events import (
    AccountJobEvent,
    AnyEvent,
    BalanceEvent,
    EventSource,
    JobEvent,
    NotificationEvent,
)
from pixel_studio.models import JobStatus
from pixel_studio.state.account_data import deliver_account_job
from pixel_studio.state.auth import (
    AuthState,
    SessionLookup,
    lookup_user_id,
    session_ended,
)
from pixel_studio.state.compare import CompareState
from pixel_studio.state.edit import LineageState
from pixel_studio.state.job_views import JobView, balance_of, job_view
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.live_tabs import deliver_to_tabs, send_events
from pixel_studio.state.live_values import (
    ValueEvent,
    deliver_balance,
    deliver_notification,
    deliver_values,
)
from pixel_studio.state.notifications import BellState
from pixel_studio.state.set_detail import SetDetailState
from pixel_studio.state.sets import SetsState
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # how long one wait for an event blocks its thread (and delays shutdown)
BURST = 500  # events taken from the transport at once (one wait, one LPOP)
USERS_AT_ONCE = 16  # users whose events are delivered side by side (each: 16 tabs at once)


@dataclass(frozen=True)
class Update:
    """What one event means for the pages, read from the database once for every tab."""

    event: JobEvent
    view: JobView | None
    balance: int | None


def read_update(event: JobEvent) -> Update:
    """Blocking: call in a thread. A failed read still delivers the event's own numbers."""
    try:
        with session_scope() as session:
            view = job_view(session, get_storage(), event.user_id, event.job_id)
            if view is not None and event.message and event.status == view.status == "running":
                # "Waiting for <model>" (provider_limits.py) lives in the event, not the row.
                view = dataclasses.replace(view, message=event.message)
            # The balance as it is now, not as the event saw it: with several backend
            # processes two events of one user can be applied in either order.
            balance = balance_of(session, event.user_id) if event.balance is not None else None
        return Update(event, view, balance)
    except Exception:
        log.exception("live: could not read job %s", event.job_id)
        return Update(event, None, event.balance)


async def apply_to_tab(
    app: rx.App, token: str, update: Update, lookup: SessionLookup = lookup_user_id
) -> bool:
    """Apply the update to one tab; False if the tab no longer belongs to the event's user
    (another user's now, or its session has ended: then it is signed out and told so)."""
    event = update.event
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=JobsState)) as root:
        jobs = await root.get_state(JobsState)
        if not jobs._belongs_to(event.user_id):
            # A page without the jobs panel, registered by the bell: keep it for notifications.
            bell = await root.get_state(BellState)
            return bell._belongs_to(event.user_id)
        auth = await root.get_state(AuthState)
        path = str(root.router.url.path or "")
        applies = await auth._checked_user_id(lookup) == event.user_id
        if applies:
            follow_up = await _apply_update(root, auth, jobs, update, path)
        else:
            follow_up = session_ended(path)  # the tab was signed out just now
    if follow_up:
        # Frontend events (a toast, a refresh) go to the tab after the state delta above.
        await send_events(app, token, follow_up)
    return applies


async def _apply_update(
    root: BaseState, auth: AuthState, jobs: JobsState, update: Update, path: str
) -> list[Any]:
    """Change the tab's states; returns the event specs and handlers to send after the delta."""
    event = update.event
    follow_up: list[Any] = []
    toast = jobs._apply_event(event, update.view)
    if update.balance is not None:
        auth.credits = update.balance
    # The history pages show job status too; only load their state on those pages.
    if update.view is not None and path.startswith("/sets"):
        if path.rstrip("/") == "/sets":
            sets = await root.get_state(SetsState)
            sets._apply_job_view(update.view)
        else:
            detail = await root.get_state(SetDetailState)
            if detail._apply_job_view(update.view):
                follow_up.append(SetDetailState.refresh)
    elif update.view is not None and path.rstrip("/") == "/compare":
        compare = await root.get_state(CompareState)  # a comparison's columns
        compare._apply_job_view(update.view)
    elif update.view is not None and path.startswith("/image/") and update.view.thumbnails:
        # An edit started here: its images join "Made from this image" as they finish.
        follow_up.append(LineageState.refresh)
    if toast is not None:
        notify = rx.toast.error if event.status == JobStatus.failed else rx.toast.success
        follow_up.append(notify(toast))
    return follow_up


async def deliver(app: rx.App, event: JobEvent) -> None:
    await deliver_to_tabs(
        event.user_id,
        lambda: read_update(event),
        lambda token, update, lookup: apply_to_tab(app, token, update, lookup),
        f"job {event.job_id}",
    )


async def deliver_event(app: rx.App, event: AnyEvent) -> None:
    """Deliver one event of any kind; a failure is logged, never raised (the loop goes on)."""
    try:
        if isinstance(event, NotificationEvent):
            await deliver_notification(app, event)
        elif isinstance(event, JobEvent):
            await deliver(app, event)
        elif isinstance(event, BalanceEvent):
            await deliver_balance(app, event)
        elif isinstance(event, AccountJobEvent):  # an export's progress
            await deliver_account_job(app, event)
    except Exception:
        log.exception("live: could not deliver an event: %r", event)


def coalesce(events: list[AnyEvent]) -> dict[int, list[AnyEvent]]:
    """The events of a burst per user, in arrival order, keeping only the last balance and
    the last unread-count event of each user: those deliver the value the database has when
    they are delivered (read_balance_now, read_unread_now), so an earlier one would only put
    the same number in the same tabs again. Job and export events are all kept (each has its
    own progress, thumbnails and toast)."""
    last: dict[tuple[int, str], int] = {}
    for i, event in enumerate(events):
        if isinstance(event, BalanceEvent | NotificationEvent):
            last[(event.user_id, event.type)] = i
    per_user: dict[int, list[AnyEvent]] = {}
    for i, event in enumerate(events):
        stale = isinstance(event, BalanceEvent | NotificationEvent) and (
            last[(event.user_id, event.type)] != i
        )
        if stale:
            continue
        per_user.setdefault(event.user_id, []).append(event)
    return per_user


async def deliver_burst(app: rx.App, events: list[AnyEvent]) -> None:
    """Deliver a burst, each user's events one after another in arrival order, so a tab never
    sees an older value after a newer one. Users whose events are only balances and unread
    counts are pushed all at once (live_values.deliver_values: one Redis round trip, one
    thread hop for the database, no tab state loaded); the others side by side, at most
    USERS_AT_ONCE.
    One at a time, a thousand users' events a second queued behind each other's database
    read and state round trips (bench/load/tab_capacity.py --users)."""
    per_user = coalesce(events)
    values: dict[int, list[ValueEvent]] = {}
    for user_id, mine in per_user.items():
        if all(isinstance(e, BalanceEvent | NotificationEvent) for e in mine):
            values[user_id] = [e for e in mine if isinstance(e, BalanceEvent | NotificationEvent)]
    slots = asyncio.Semaphore(USERS_AT_ONCE)

    async def for_user(mine: list[AnyEvent]) -> None:
        async with slots:
            for event in mine:
                await deliver_event(app, event)

    async def all_values() -> None:
        try:
            await deliver_values(app, values)
        except Exception:
            log.exception("live: could not deliver the values of %d users", len(values))

    others = [mine for user_id, mine in per_user.items() if user_id not in values]
    await asyncio.gather(all_values(), *(for_user(mine) for mine in others))


async def job_event_listener(app: rx.App) -> None:
    """Lifespan task: forever take the pending events and deliver them; stops cleanly when
    cancelled. A burst is delivered to the end before the next is taken (per-user order)."""
    source = EventSource()
    # Any: the transport may carry kinds this listener does not handle (skipped above).
    waiting: asyncio.Task[Any] | None = None
    try:
        while True:
            waiting = asyncio.create_task(
                asyncio.to_thread(source.next_events, POLL_SECONDS, BURST)
            )
            # Shielded: a cancel must not abandon the thread mid-wait (see `finally`).
            events = await asyncio.shield(waiting)
            waiting = None
            if events:
                await deliver_burst(app, events)
    finally:
        if waiting is not None:
            # Let the thread's wait end (at most POLL_SECONDS) before closing its connection,
            # so shutting down does not log a Redis error from a half-closed socket.
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(waiting, POLL_SECONDS + 1)
        source.close()
