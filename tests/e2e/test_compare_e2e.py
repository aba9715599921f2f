"""Comparing two models in a real browser: /compare from the nav, one prompt sent to the local
sketch model and to DALL·E 2, both columns filling in live (no reload), each linking to its
set and to a remix, the credits dropping by both prices, and "Compare again" refilling the form;
then the two sets found in the history by date range, with the search in the URL.

Only local-sketch is available offline, and a second variant of it would not be a second
model. So the app runs with an OpenAI key and OPENAI_BASE_URL pointing at a loopback peer
(tests/providers/peers.py) that speaks POST /v1/images/generations: DALL·E 2 is then really
called through the official `openai` client, and answers a little later than the sketch, so
the page shows one column done while the other still runs (its own profile, "compare").
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer
from tests.e2e.test_accounts_e2e import DESKTOP, nav, sign_up_by_api, unique_name, visible
from tests.providers.peers import Peer, Recorded, Reply, image_bytes, running_peer

# app_profile: what _serve_app_profile below serves (conftest groups the tests by it)
pytestmark = [pytest.mark.e2e, pytest.mark.app_profile("compare")]

PROMPT = "a lighthouse on a cliff at sunset"
LIVE_TIMEOUT = 30_000  # ms
DALL_E_DELAY = 3.0  # s: long enough to see the DALL·E 2 column still running


def _answer(request: Recorded) -> Reply:
    size = str(request.json().get("size") or "512x512")
    width, height = (int(n) for n in size.split("x"))
    data = base64.b64encode(image_bytes(width, height, color="navy")).decode()
    reply = Reply.json({"created": 1, "data": [{"b64_json": data}]})
    reply.delay = DALL_E_DELAY
    return reply


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    with running_peer() as p:
        p.responder = _answer
        yield p


@pytest.fixture(autouse=True)
def _serve_app_profile(request: pytest.FixtureRequest, app_server: AppServer, peer: Peer) -> None:
    """Overrides conftest's: this module's app has DALL·E through the loopback peer, except
    for the fresh-install tests (the embedded profile: local-sketch alone)."""
    if "fresh_install" in request.node.name:
        app_server.use("embedded")
        return
    app_server.use("compare", {"OPENAI_API_KEY": "sk-e2e", "OPENAI_BASE_URL": peer.url + "/v1"})


def test_compare_two_models_columns_fill_in_live(page: Page, peer: Peer, shots_dir: Path) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("cmp"))
    visible(nav(page).get_by_role("link", name="Compare", exact=True)).click()
    expect(page).to_have_url(re.compile(r"/compare/?$"))
    expect(page.get_by_role("heading", name="Compare models", level=1)).to_be_visible()
    expect(page.get_by_role("radio", name="Models")).to_be_checked()
    # The first two available models start chosen: the sketch and DALL·E 2.
    expect(page.get_by_role("checkbox", name="Local sketch — offline, procedural")).to_be_checked()
    expect(page.get_by_role("checkbox", name="DALL·E 2", exact=True)).to_be_checked()

    page.get_by_label("Prompt").fill(PROMPT)
    page.get_by_label("Size", exact=True).select_option(label="512 × 512 · square")
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(page).to_have_url(re.compile(r"/compare/?\?sets=\d+,\d+$"), timeout=LIVE_TIMEOUT)
    page.evaluate("window.__same_page = true")
    columns = page.get_by_test_id("compare-column")
    expect(columns).to_have_count(2)
    sketch, dalle = columns.nth(0), columns.nth(1)
    expect(sketch).to_contain_text("Local sketch")
    expect(dalle).to_contain_text("DALL·E 2")
    # The sketch is done in well under a second; DALL·E 2's peer answers seconds later: the
    # page shows one column finished while the other still works, then both, without reload.
    expect(sketch).to_contain_text("Done", timeout=LIVE_TIMEOUT)
    expect(dalle).to_contain_text(re.compile(r"Queued|Running"))
    expect(dalle).to_contain_text("Done", timeout=LIVE_TIMEOUT)
    for column in (sketch, dalle):
        picture = column.get_by_role("img", name=PROMPT)
        expect(picture).to_have_count(1)
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )
        expect(column.get_by_role("link", name="Open set")).to_have_attribute(
            "href", re.compile(r"^/sets/\d+$")
        )
        expect(column.get_by_role("link", name="Remix")).to_have_attribute(
            "href", re.compile(r"^/create\?from=\d+$")
        )
    assert page.evaluate("window.__same_page") is True  # filled in live, no reload
    badge = visible(nav(page).get_by_test_id("credits-badge"))
    expect(badge).to_have_text(re.compile(r"^2 credits"))  # 5 - (1 + 2), one debit
    [call] = peer.requests
    assert (call.json()["model"], call.json()["size"]) == ("dall-e-2", "512x512")
    page.screenshot(path=str(shots_dir / "compare-desktop.png"), full_page=True)

    page.get_by_role("link", name="Compare again").click()
    expect(page).to_have_url(re.compile(r"/compare/?\?again=\d+,\d+$"))
    expect(page.get_by_label("Prompt")).to_have_value(PROMPT)
    expect(page.get_by_test_id("compare-column")).to_have_count(0)

    # The two sets in the history, searched by date range and seed; the search is in the URL.
    today = datetime.now(UTC).date()
    page.goto("/sets")
    cards = page.locator(".ps-set-card")
    expect(cards).to_have_count(2)
    page.get_by_label("From", exact=True).fill(today.isoformat())
    page.get_by_label("To", exact=True).fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("The end date is before the start date.")).to_be_visible()
    page.get_by_label("To", exact=True).fill(today.isoformat())
    page.get_by_label("Seed", exact=True).fill("abc")
    page.get_by_label("Seed", exact=True).press("Enter")
    expect(page.get_by_text("A seed is a whole number")).to_be_visible()
    search = page.get_by_role("button", name="Search", exact=True)
    level = search.bounding_box()  # with the seed's error showing under its field
    page.get_by_label("Seed", exact=True).fill("")
    search.click()  # its mousedown blurs the seed, which clears the error: the button stays
    day = today.isoformat()
    expect(page).to_have_url(re.compile(rf"/sets\?from={day}&to={day}$"))
    assert search.bounding_box() == level
    expect(cards).to_have_count(2)
    page.reload()  # the search survives a reload: it lives in the URL
    expect(page.get_by_label("From", exact=True)).to_have_value(day)
    expect(cards).to_have_count(2)
    page.screenshot(path=str(shots_dir / "sets-search-desktop.png"), full_page=True)
    page.goto(f"/sets?to={(today - timedelta(days=1)).isoformat()}")
    expect(page.get_by_role("heading", name="No sets match")).to_be_visible()


@pytest.mark.app_profile("embedded")
def test_fresh_install_compares_two_style_presets_then_two_seeds(
    page: Page, shots_dir: Path
) -> None:
    """`make run` has one model: /compare starts on style presets of local-sketch."""
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("pre"))
    visible(nav(page).get_by_role("link", name="Compare", exact=True)).click()
    expect(page.get_by_role("heading", name="Compare style presets", level=1)).to_be_visible()
    expect(page.get_by_role("radio", name="Models")).to_be_disabled()
    expect(page.get_by_text("Only one model is available here.")).to_be_visible()
    expect(page.get_by_role("radio", name="Style presets")).to_be_checked()
    expect(page.get_by_role("checkbox", name="none", exact=True)).to_be_checked()
    page.get_by_role("checkbox", name="anime", exact=True).click()  # off
    page.get_by_role("checkbox", name="neon-punk", exact=True).click()
    expect(page.get_by_role("checkbox", name="neon-punk", exact=True)).to_be_checked()
    page.get_by_label("Prompt").fill(PROMPT)
    page.get_by_label("Size", exact=True).select_option(label="256 × 256 · square")
    expect(page.get_by_text(re.compile(r"Cost 2 credits"))).to_be_visible()
    page.get_by_role("button", name="Compare", exact=True).click()

    expect(page).to_have_url(re.compile(r"/compare/?\?sets=\d+,\d+$"), timeout=LIVE_TIMEOUT)
    page.evaluate("window.__same_page = true")
    columns = page.get_by_test_id("compare-column")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).get_by_role("heading", level=2)).to_have_text("No preset")
    expect(columns.nth(1).get_by_role("heading", level=2)).to_have_text("Neon punk")
    sources = []
    for column in (columns.nth(0), columns.nth(1)):
        expect(column).to_contain_text("Local sketch")
        expect(column).to_contain_text("Done", timeout=LIVE_TIMEOUT)
        picture = column.get_by_role("img", name=PROMPT)
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )
        sources.append(picture.get_attribute("src"))
    assert sources[0] != sources[1]
    assert page.evaluate("window.__same_page") is True  # filled in live, no reload
    badge = visible(nav(page).get_by_test_id("credits-badge"))
    expect(badge).to_have_text(re.compile(r"^3 credits"))  # 5 - 2, one debit
    page.screenshot(path=str(shots_dir / "compare-presets.png"), full_page=True)

    # "Compare again" refills the form with what varied.
    page.get_by_role("link", name="Compare again").click()
    expect(page).to_have_url(re.compile(r"/compare/?\?again=\d+,\d+$"))
    expect(page.get_by_role("radio", name="Style presets")).to_be_checked()
    expect(page.get_by_role("checkbox", name="neon-punk", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="anime", exact=True)).not_to_be_checked()

    # Seeds next: typed, one column each.
    page.get_by_role("radio", name="Seeds").click()
    page.get_by_label(re.compile("^Seeds, 2 to 4")).fill("7, 7")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.get_by_text("Choose each of the seeds once.").first).to_be_visible()
    page.get_by_label(re.compile("^Seeds, 2 to 4")).fill("7, 42")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page).to_have_url(re.compile(r"/compare/?\?sets=\d+,\d+$"), timeout=LIVE_TIMEOUT)
    columns = page.get_by_test_id("compare-column")
    expect(columns.nth(0).get_by_role("heading", level=2)).to_have_text("Seed 7")
    expect(columns.nth(1).get_by_role("heading", level=2)).to_have_text("Seed 42")
    expect(columns.nth(1)).to_contain_text("Done", timeout=LIVE_TIMEOUT)
    expect(badge).to_have_text(re.compile(r"^1 credit"))
