"""Two people at once, in two browser contexts: A makes a public image; B (on a 375 px phone)
likes it and comments; A's bell counts up and the comment appears without a reload; A
replies; B's bell counts up and B sees the reply without a reload; B puts the image in a new
collection from the dialog, and finds it in /collections/<id> and in /likes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.test_accounts_e2e import (
    DESKTOP,
    PHONE,
    has_no_horizontal_scroll,
    nav,
    sign_up_by_api,
    visible,
)
from tests.e2e.test_accounts_e2e import unique_name as unique
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT

pytestmark = pytest.mark.e2e

PROMPT = "a lighthouse on a cliff under a violet sky"
LIVE = 15_000  # ms: a notification crosses the in-process queue and the listener


def make_public_image(page: Page) -> str:
    """Generate one image and open its page; its path ("/image/<id>")."""
    page.goto("/create")
    # The form is loaded (as test_generation_e2e waits) before typing and generating: the
    # page paints it at once, the app enables it once loaded, which a busy machine slows.
    expect(page.get_by_label("Model", exact=True)).to_contain_text("Local sketch", timeout=LIVE)
    page.get_by_label("Prompt").fill(PROMPT)
    expect(page.get_by_text("after: 4")).to_be_visible()
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    page.get_by_title("Open the image page").first.click()
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    return re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")


def bell_count(page: Page) -> Locator:
    return visible(nav(page).get_by_test_id("bell-count"))


# Production: PostgreSQL, Redis (events, tab registry, Reflex state over several backend
# processes), S3 and a Celery worker; the bell's events cross processes through Redis.
@pytest.mark.parametrize("app_profile", ["embedded", "production"], indirect=True)
def test_two_people_like_comment_reply_and_collect(
    browser: Browser, base_url: str, shots_dir: Path, app_profile: str
) -> None:
    a_context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    # B on a phone, in dark mode (the system preference the app follows).
    b_context = browser.new_context(base_url=base_url, viewport=PHONE, color_scheme="dark")
    a, b = a_context.new_page(), b_context.new_page()
    a_name, b_name = unique("ann"), unique("ben")
    sign_up_by_api(a, a_name)
    image_path = make_public_image(a)
    image_id = image_path.rsplit("/", 1)[-1]
    expect(nav(a).get_by_test_id("bell-count")).to_have_count(0)  # nothing unread yet

    # B likes (the button answers at once) and comments.
    sign_up_by_api(b, b_name)
    b.goto(image_path)
    like = b.get_by_test_id("like-button")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_contain_text("1")
    b.get_by_label("Add a comment").fill("The colours are wonderful")
    b.get_by_role("button", name="Post comment").click()
    comment = b.get_by_test_id("comment").filter(has_text="The colours are wonderful")
    expect(comment).to_be_visible()

    # A, without a reload: the bell counts the like and the comment; the comment shows.
    expect(bell_count(a)).to_have_text("2", timeout=LIVE)
    a_comment = a.get_by_test_id("comment").filter(has_text="The colours are wonderful")
    expect(a_comment).to_be_visible(timeout=LIVE)
    a_comment.get_by_role("button", name="Reply").click()
    a.get_by_label(f"Reply to {b_name}").fill("Thank you, it was a windy evening")
    a.get_by_role("button", name="Reply", exact=True).last.click()
    expect(a.get_by_text("Reply posted.")).to_be_visible()

    # B, without a reload: the reply is in the thread and B's bell counts it.
    expect(b.get_by_text("Thank you, it was a windy evening")).to_be_visible(timeout=LIVE)
    expect(bell_count(b)).to_have_text("1", timeout=LIVE)
    assert has_no_horizontal_scroll(b)
    b.screenshot(path=str(shots_dir / f"social-image-phone-dark-{app_profile}.png"), full_page=True)

    # B collects the image in a new collection, from the dialog (keyboard: Enter submits).
    b.get_by_role("button", name="Add to collection").click()
    dialog = b.get_by_role("dialog")
    expect(dialog.get_by_text("You have no collections yet", exact=False)).to_be_visible()
    dialog.get_by_label("New collection").fill("Lighthouses")
    dialog.get_by_label("New collection").press("Enter")
    expect(dialog.get_by_role("checkbox", name="Lighthouses")).to_be_checked()
    b.screenshot(path=str(shots_dir / f"social-dialog-phone-dark-{app_profile}.png"))
    b.keyboard.press("Escape")
    expect(b.get_by_role("dialog")).to_have_count(0)

    b.goto("/collections")
    card = b.get_by_test_id("collection-card").filter(has_text="Lighthouses")
    expect(card).to_contain_text("1 image")
    card.click()
    expect(b).to_have_url(re.compile(r"/collections/\d+/?$"))
    expect(b.get_by_role("heading", level=1)).to_have_text("Lighthouses")
    expect(b.locator(f'[data-testid="image-card"][data-image-id="{image_id}"]')).to_be_visible()
    assert has_no_horizontal_scroll(b)

    b.goto("/likes")
    expect(b.locator(f'[data-testid="image-card"][data-image-id="{image_id}"]')).to_be_visible()

    # A's notifications page: who did what, with links; mark all read empties the bell.
    a.goto("/notifications")
    items = a.get_by_test_id("notification")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(f"{b_name} commented on your image")
    a.screenshot(path=str(shots_dir / f"social-notifications-{app_profile}.png"), full_page=True)
    a.get_by_role("button", name="Mark all read").click()
    expect(nav(a).get_by_test_id("bell-count")).to_have_count(0)
    a_context.close()
    b_context.close()
