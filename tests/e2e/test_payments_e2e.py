"""Buying credits in a real browser: /credits, a pack's Buy button, a Checkout stand-in on
loopback (tests/payments/stripe_peer.py) that sends the browser back as Stripe does, then a
webhook signed as Stripe signs it: the nav's balance updates live, without a reload.

The app runs with Stripe keys and STRIPE_API_BASE pointing at the peer (its own profile,
"payments": the server restarts with these variables)."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer
from tests.e2e.test_accounts_e2e import DESKTOP, nav, sign_up_by_api, unique_name, visible
from tests.payments.stripe_peer import StripePeer, checkout_event, sign, stripe_peer

# app_profile: what _serve_app_profile below serves (conftest groups the tests by it)
pytestmark = [pytest.mark.e2e, pytest.mark.app_profile("payments")]

SECRET = "whsec_e2e_secret"
LIVE_TIMEOUT = 15_000  # ms


@pytest.fixture(scope="module")
def peer() -> Iterator[StripePeer]:
    with stripe_peer() as p:
        yield p


@pytest.fixture(autouse=True)
def _serve_app_profile(app_server: AppServer, peer: StripePeer) -> None:
    """Overrides conftest's: this module's app talks to the Stripe peer."""
    env = {
        "STRIPE_SECRET_KEY": "sk_test_e2e",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": peer.base,
    }
    app_server.use("payments", env)


def send_webhook(base_url: str, body: bytes) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base_url}/api/stripe/webhook",
        data=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(body, SECRET)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def test_buy_a_pack_and_see_the_balance_arrive_live(
    page: Page, base_url: str, peer: StripePeer, shots_dir: Path
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("buyer"))
    badge = visible(nav(page).get_by_test_id("credits-badge"))
    expect(badge).to_have_text(re.compile(r"5 credits"))
    badge.click()  # the nav's balance opens the credits page
    expect(page).to_have_url(re.compile(r"/credits/?$"))
    expect(page.get_by_role("heading", name="Credits", exact=True, level=1)).to_be_visible()
    expect(page.get_by_test_id("buy-pack")).to_have_count(3)
    expect(page.get_by_text("$2.99")).to_be_visible()
    expect(page.get_by_test_id("history-row")).to_have_count(1)  # the welcome bonus
    expect(page.get_by_test_id("payments-off")).to_have_count(0)

    page.locator("[data-pack=small]").click()
    # Off to the Checkout stand-in, which sends the browser back as Stripe does.
    expect(page).to_have_url(re.compile(r"/credits/?\?checkout=success&session_id=cs_test_"))
    expect(page.get_by_test_id("credits-notice")).to_contain_text("Payment received")
    [call] = peer.requests
    assert call.form["mode"] == "payment" and call.form["metadata[pack_id]"] == "small"
    assert call.headers["idempotency-key"].startswith("ps-checkout-")
    session_id = page.url.rsplit("session_id=", 1)[1]
    # Nothing is credited by coming back: only Stripe's webhook does that.
    expect(badge).to_have_text(re.compile(r"^5 credits"))

    page.evaluate("window.__same_page = true")
    body = checkout_event("evt_e2e_1", peer.sessions[session_id])
    assert send_webhook(base_url, body)["outcome"] == "credited"
    expect(badge).to_have_text(re.compile(r"^55 credits"), timeout=LIVE_TIMEOUT)
    expect(page.get_by_test_id("credits-balance")).to_have_text("55 credits")
    expect(page.get_by_test_id("history-row")).to_have_count(2, timeout=LIVE_TIMEOUT)
    expect(page.get_by_test_id("history-row").first).to_contain_text("+50")
    expect(page.get_by_test_id("credits-notice")).to_contain_text("Your credits have arrived")
    assert page.evaluate("window.__same_page") is True  # no reload happened
    page.screenshot(path=str(shots_dir / "credits-desktop.png"), full_page=True)

    # Stripe retries the event: acknowledged, nothing credited twice.
    assert send_webhook(base_url, body)["outcome"] == "duplicate"
    page.reload()
    expect(badge).to_have_text(re.compile(r"^55 credits"))
    expect(page.get_by_test_id("history-row")).to_have_count(2)

    page.goto("/credits?checkout=cancelled")
    expect(page.get_by_test_id("credits-notice")).to_contain_text("nothing was charged")
