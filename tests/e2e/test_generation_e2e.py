"""Generation in a real browser, once per profile: sign up, generate two images with the local
sketch model, watch the job fill in live, see the credits drop, open the set, remix an image.

The production run has the same steps against PostgreSQL, Redis (several Reflex backend
processes), a Celery worker process and S3 on loopback: the job runs in another process and
its progress reaches the page only through the Redis event list and the backend's listener.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.test_accounts_e2e import (
    DESKTOP,
    PHONE,
    has_no_horizontal_scroll,
    nav,
    sign_up_by_api,
    unique_name,
    visible,
)

pytestmark = pytest.mark.e2e

PROMPT = "a red fox in a snowy birch forest at dawn"
LIVE_TIMEOUT = 30_000  # ms: a cold Celery worker imports its providers on the first job

# Records every state the job card's progress bar shows, as React renders it, so the test
# can tell "moved through the steps" from "jumped to the end" without racing the worker.
RECORD_PROGRESS = """
() => {
  window.__progress = [];
  const read = () => {
    const bar = document.querySelector('[data-testid=job-card] [role=progressbar]');
    if (!bar) return;
    const entry = [bar.getAttribute('aria-label'), Number(bar.getAttribute('aria-valuenow'))];
    const last = window.__progress[window.__progress.length - 1];
    if (!last || last[0] !== entry[0] || last[1] !== entry[1]) window.__progress.push(entry);
  };
  new MutationObserver(read).observe(document.body,
    {subtree: true, childList: true, attributes: true, characterData: true});
}
"""


def loaded_images(scope: Locator, alt: str) -> Locator:
    return scope.get_by_role("img", name=alt)


def expect_pictures_load(page: Page, images: Locator, count: int) -> None:
    expect(images).to_have_count(count, timeout=LIVE_TIMEOUT)
    for index in range(count):
        image = images.nth(index)
        expect(image).to_be_visible()
        # Really fetched and decoded (from /media or from S3), not just an <img> in the DOM.
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).select_option(label=option)


def test_studio_screenshots(browser: Browser, base_url: str, shots_dir: Path) -> None:
    """Create, sets and a set, light and dark, desktop and phone: looked at by people.
    (First in the module: it needs the embedded profile, which the next test leaves.)"""
    first = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = first.new_page()
    sign_up_by_api(page, unique_name("shot"))
    page.goto("/create")
    page.get_by_label("Prompt").fill("a lighthouse on a cliff at sunset, crashing waves")
    choose(page, "Number of images", "3")
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_test_id("job-card").first
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    expect(page).to_have_url(re.compile(r"/sets/\d+/?$"))
    set_path = page.url.removeprefix(base_url)
    signed_in: Any = first.storage_state()
    first.close()
    for mode in ("light", "dark"):
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(
                base_url=base_url, viewport=viewport, storage_state=signed_in
            )
            context.add_init_script(f"localStorage.setItem('theme', '{mode}')")
            page = context.new_page()
            for name, path in (("create", "/create"), ("sets", "/sets"), ("set", set_path)):
                page.goto(path)
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                expect(page.locator("html")).to_have_class(re.compile(rf"\b{mode}\b"))
                page.wait_for_timeout(300)  # let images and transitions settle
                page.screenshot(path=str(shots_dir / f"{name}-{mode}-{device}.png"), full_page=True)
                assert has_no_horizontal_scroll(page), f"{name} {mode} {device}"
            context.close()


@pytest.mark.parametrize("app_profile", ["embedded", "production"], indirect=True)
def test_generate_live_then_remix(page: Page, app_profile: str) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("gen"))
    credits = visible(nav(page).get_by_text(re.compile(r"^\d+ credits$")))
    expect(credits).to_have_text("5 credits")

    visible(nav(page).get_by_role("link", name="Create")).click()
    expect(page).to_have_url(re.compile(r"/create/?$"))
    # Painted at once, enabled once the app has loaded (slower on a busy machine).
    expect(page.get_by_label("Model", exact=True)).to_have_value("local-sketch", timeout=15_000)
    page.get_by_label("Prompt").fill(PROMPT)
    choose(page, "Number of images", "2")
    expect(page.get_by_text("2 × 1 per image")).to_be_visible()

    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="Generate").click()

    card = page.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card).to_have_count(1)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    expect_pictures_load(page, loaded_images(card, PROMPT), 2)
    expect(credits).to_have_text("3 credits")  # 2 images × 1 credit, without a reload
    expect(page.get_by_text("Your 2 images are ready.")).to_be_visible()

    seen: list[list[Any]] = page.evaluate("window.__progress")
    labels = [label for label, _ in seen]
    values = [value for _, value in seen]
    assert labels[-1] == "Progress: Done" and values[-1] == 100, seen
    assert values == sorted(values), f"progress went backwards: {seen}"
    assert len(seen) >= 2 and values[0] < 100, f"the bar never showed the job under way: {seen}"

    # The database is the truth: a reload shows the same finished job and its pictures.
    page.reload()
    card = page.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-label", "Progress: Done")
    expect_pictures_load(page, loaded_images(card, PROMPT), 2)
    expect(credits).to_have_text("3 credits")

    card.get_by_role("link", name="Open set").click()
    expect(page).to_have_url(re.compile(r"/sets/\d+/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PROMPT)
    expect_pictures_load(page, loaded_images(page.get_by_role("main"), PROMPT), 2)

    page.get_by_role("link", name="Remix").first.click()
    expect(page).to_have_url(re.compile(r"/create/?\?from=\d+$"))
    expect(page.get_by_label("Prompt")).to_have_value(PROMPT)
    expect(page.get_by_text("Remixing an image")).to_be_visible()
    expect(page.get_by_label("Seed", exact=True)).to_have_value(re.compile(r"^\d+$"))
