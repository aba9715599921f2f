"""The small values every open tab of a user shows, kept live: the balance (nav, /create, the
edit panel) and the unread count (the bell). Pushed to the tabs' sockets without loading
their states (state/live_tabs.push_to_tabs), for every user of a burst of events at once.

Each value is read from the database when it is delivered, not taken from the event: with
several backend processes a user's events may arrive in either order, and a late event must
not put an older number back. A failed read still delivers the event's own number.
"""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx
from reflex.state import BaseState

from pixel_studio.db import session_scope
from pixel_studio.events import BalanceEvent, NotificationEvent
from pixel_studio.services import credits
from pixel_studio.services.social import notifications
from pixel_studio.state.auth import AuthState, SessionLookup, lookup_user_id
from pixel_studio.state.comments import CommentsState
from pixel_studio.state.credits import CreditsState
from pixel_studio.state.live_tabs import Delta, Push, apply_to_user_tab, fields_delta, push_to_tabs
from pixel_studio.state.notifications import BellState, NotificationsState, badge_of, label_of

log = logging.getLogger(__name__)

ValueEvent = BalanceEvent | NotificationEvent


def after_balance(path: str) -> list[Any]:
    return [CreditsState.refresh] if path.startswith("/credits") else []  # its history


def after_unread(path: str) -> list[Any]:
    """What a page shows besides the bell that a new unread count may change."""
    if path.startswith("/notifications"):
        return [NotificationsState.load]
    if path.startswith("/image/"):
        return [CommentsState.refresh]  # a comment or reply may be new
    return []


def bell_delta(unread: int) -> Delta:
    return fields_delta(BellState, unread=unread, badge=badge_of(unread), label=label_of(unread))


async def apply_balance(
    app: rx.App, token: str, user_id: int, balance: int, lookup: SessionLookup = lookup_user_id
) -> bool:
    """The state path: put the balance in one tab's AuthState (and refresh /credits' history);
    False if the tab is no longer that user's."""

    async def change(root: BaseState, auth: AuthState, path: str) -> list[Any]:
        auth.credits = balance
        return after_balance(path)

    return await apply_to_user_tab(app, token, user_id, AuthState, change, lookup)


async def apply_notification(
    app: rx.App, token: str, user_id: int, unread: int, lookup: SessionLookup = lookup_user_id
) -> bool:
    """The state path: put the unread count in one tab's bell; False if the tab is no longer
    that user's."""

    async def change(root: BaseState, auth: AuthState, path: str) -> list[Any]:
        (await root.get_state(BellState)).unread = unread
        return after_unread(path)

    return await apply_to_user_tab(app, token, user_id, BellState, change, lookup)


def read_values(events: dict[int, list[ValueEvent]]) -> tuple[dict[int, int], dict[int, int]]:
    """Blocking: the balances (one query) and unread counts these events announce, as the
    database has them now; the events' own numbers where the read fails."""
    every = [e for es in events.values() for e in es]
    balances = {e.user_id: e.balance for e in every if isinstance(e, BalanceEvent)}
    unread = {e.user_id: e.unread for e in every if isinstance(e, NotificationEvent)}
    try:
        with session_scope() as session:
            balances.update(credits.balances(session, list(balances)))
            for user_id in unread:
                unread[user_id] = notifications.unread_count(session, user_id)
    except Exception:
        log.exception("live: could not read the values of %d users", len(events))
    return balances, unread


def push_of(app: rx.App, event: ValueEvent, value: int) -> Push:
    user_id = event.user_id
    if isinstance(event, BalanceEvent):
        return Push(
            fields_delta(AuthState, credits=value),
            after_balance,
            lambda token, lookup: apply_balance(app, token, user_id, value, lookup),
            "the balance",
        )
    return Push(
        bell_delta(value),
        after_unread,
        lambda token, lookup: apply_notification(app, token, user_id, value, lookup),
        "the unread count",
    )


async def deliver_values(app: rx.App, events: dict[int, list[ValueEvent]]) -> None:
    """Deliver these users' balance and unread-count events, each user's in order."""

    def read(user_ids: list[int]) -> dict[int, list[Push]]:
        mine = {user_id: events[user_id] for user_id in user_ids}
        balances, unread = read_values(mine)
        return {
            user_id: [
                push_of(
                    app, e, balances[user_id] if isinstance(e, BalanceEvent) else unread[user_id]
                )
                for e in es
            ]
            for user_id, es in mine.items()
        }

    await push_to_tabs(app, list(events), read)


async def deliver_balance(app: rx.App, event: BalanceEvent) -> None:
    await deliver_values(app, {event.user_id: [event]})


async def deliver_notification(app: rx.App, event: NotificationEvent) -> None:
    await deliver_values(app, {event.user_id: [event]})
