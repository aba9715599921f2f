"""The credits page's state without a browser: packs, "not configured", buying through the
Stripe peer (a redirect to Checkout, or a clear message), and a live balance event reaching
an open tab (state/live.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from reflex.state import BaseState

from pixel_studio.db import session_scope
from pixel_studio.events import BalanceEvent
from pixel_studio.models import CreditKind
from pixel_studio.services import credits as credits_service
from pixel_studio.settings import get_settings
from pixel_studio.state import live
from pixel_studio.state.auth import AuthState
from pixel_studio.state.credits import CreditsState
from pixel_studio.state.notifications import BellState
from pixel_studio.tabs import get_tabs
from tests.payments.stripe_peer import StripePeer, stripe_peer
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    new_user,
    run,
    script_of,
    signed_in_cookie,
)
from tests.state.test_create_state import sibling, signed_in
from tests.state.test_jobs_state import FakeApp, run_async


@pytest.fixture
def peer() -> Iterator[StripePeer]:
    with stripe_peer() as p:
        yield p


@pytest.fixture
def shop(app_db: Path, peer: StripePeer, monkeypatch: pytest.MonkeyPatch) -> StripePeer:  # noqa: F811
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_state")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_state")
    monkeypatch.setenv("STRIPE_API_BASE", peer.base)
    get_settings.cache_clear()
    yield peer
    get_settings.cache_clear()


def collect(handler: Any, state: BaseState, *args: Any) -> list[Any]:
    async def go() -> list[Any]:
        return [item async for item in handler.fn(state, *args)]

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()


def test_without_keys_the_page_says_payments_are_off(app_db: Path) -> None:  # noqa: F811
    cookie = signed_in_cookie(new_user("nokeys"))
    state = signed_in(CreditsState, cookie, "/credits")
    run(CreditsState.load, state)
    assert state.enabled is False and [p.credits for p in state.packs] == [50, 150, 400]
    assert [r.kind for r in state.rows] == ["Bonus"] and state.loaded
    events = collect(CreditsState.buy, state, "small")
    assert events == [] and state.notice_kind == "error" and "not configured" in state.notice
    assert state.buying == ""


def test_buy_redirects_to_checkout_with_one_key_per_page_view(shop: StripePeer) -> None:
    cookie = signed_in_cookie(new_user("buyer"))
    state = signed_in(CreditsState, cookie, "/credits?checkout=cancelled")
    run(CreditsState.load, state)
    assert state.enabled and "nothing was charged" in state.notice
    [spec] = collect(CreditsState.buy, state, "large")
    assert f"{shop.base}/pay/cs_test_0001" in script_of(spec)
    assert state.buying == "large"  # the spinner stays while the browser leaves
    state.buying = ""
    collect(CreditsState.buy, state, "large")  # a second click on the same page view
    run(CreditsState.load, state)  # back on the page: a new view, a new key
    collect(CreditsState.buy, state, "large")
    keys = [r.headers["idempotency-key"] for r in shop.requests]
    assert keys[0] == keys[1] != keys[2] and len(shop.sessions) == 2
    assert shop.requests[0].form["metadata[pack_id]"] == "large"


def test_an_outage_leaves_a_message_and_the_buttons_usable(shop: StripePeer) -> None:
    cookie = signed_in_cookie(new_user("unlucky"))
    state = signed_in(CreditsState, cookie, "/credits")
    run(CreditsState.load, state)
    shop.fail_with = 503
    assert collect(CreditsState.buy, state, "small") == []
    assert state.notice_kind == "error" and "Nothing was charged" in state.notice
    assert state.buying == ""


def test_a_balance_event_updates_the_open_tab_and_its_history(app_db: Path) -> None:  # noqa: F811
    get_tabs.cache_clear()
    user = new_user("live")
    uid = user.id or 0
    cookie = signed_in_cookie(user)
    state = signed_in(CreditsState, cookie, "/credits")
    run(CreditsState.load, state)
    run(BellState.load, sibling(state, BellState))  # registers the tab, as every page does
    root = state.parent_state
    assert root is not None
    token = root.router.session.client_token
    with session_scope() as s:
        credits_service.change_balance(s, uid, 50, CreditKind.purchase, stripe_event_id="evt_l")
    app = FakeApp({token: root})
    run_async(live.deliver_balance(app, BalanceEvent(user_id=uid, balance=55)))  # type: ignore[arg-type]
    assert sibling(state, AuthState).credits == 55
    [(sent_to, update)] = app.sent
    assert sent_to == token and "refresh" in str(update.events[0].name)
    get_tabs.cache_clear()
