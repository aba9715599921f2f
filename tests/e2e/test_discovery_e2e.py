"""Discovery in a real browser: a creator makes a public image; another person finds it on
/explore through the URL (?q=), reloads and sees the same results, opens the creator's
profile from the card, follows them, and finds the image in /feed. Then the profile and the
explore page on a 375 px phone, in dark mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_accounts_e2e import DESKTOP, PHONE, has_no_horizontal_scroll, sign_up_by_api
from tests.e2e.test_accounts_e2e import unique_name as unique
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT

pytestmark = pytest.mark.e2e


def make_public_image(page: Page, prompt: str) -> None:
    page.goto("/create")
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_test_id("job-card").filter(has_text=prompt)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )


def result_ids(page: Page) -> list[str]:
    cards = page.get_by_role("main").get_by_test_id("image-card")
    return [str(c.get_attribute("data-image-id")) for c in cards.all()]


def test_search_follow_and_feed(browser: Browser, base_url: str, shots_dir: Path) -> None:
    word = unique("zebra")  # a word no other test's prompt holds
    prompt = f"a striped {word} grazing at dusk"

    creator_ctx = browser.new_context(base_url=base_url, viewport=DESKTOP)
    creator_page = creator_ctx.new_page()
    creator = unique("mak")
    sign_up_by_api(creator_page, creator)
    make_public_image(creator_page, prompt)

    fan_ctx = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = fan_ctx.new_page()
    fan = unique("fan")
    sign_up_by_api(page, fan)

    # The feed starts empty and points to Explore.
    page.goto("/feed")
    expect(page.get_by_test_id("feed-empty")).to_be_visible()
    expect(page.get_by_role("link", name="Find people on Explore")).to_have_attribute(
        "href", "/explore"
    )

    # Search through the URL; the search box shows the term; a reload shows the same.
    page.goto(f"/explore?q={word}")
    main = page.get_by_role("main")
    expect(main.get_by_test_id("image-card").first).to_be_visible()
    expect(page.get_by_label("Search images")).to_have_value(word)
    found = result_ids(page)
    assert found, "the new public image is on explore"
    expect(main.get_by_role("img", name=prompt).first).to_be_visible()
    page.reload()
    expect(main.get_by_test_id("image-card").first).to_be_visible()
    expect(page.get_by_label("Search images")).to_have_value(word)
    assert result_ids(page) == found

    # A search typed into the box lands in the URL, and nothing matches it.
    page.get_by_label("Search images").fill("xyzzy" + word)
    page.get_by_label("Search images").press("Enter")
    expect(page).to_have_url(re.compile(rf"/explore/?\?q=xyzzy{word}$"))
    expect(page.get_by_role("heading", name=f"No images match 'xyzzy{word}'")).to_be_visible()
    page.goto(f"/explore?q={word}")
    expect(page.get_by_label("Search images")).to_have_value(word)  # the app has run on_load

    # A sort chosen in the select lands in the URL too, beside the search.
    page.get_by_role("combobox", name="Sort").select_option(label="Most liked")
    expect(page).to_have_url(re.compile(rf"/explore/?\?q={word}&sort=liked$"))
    expect(main.get_by_test_id("image-card").first).to_be_visible()
    assert result_ids(page) == found

    # The creator's name on the card opens their profile; follow them there.
    main.get_by_test_id("image-card").first.get_by_role("link", name=creator).click()
    expect(page).to_have_url(re.compile(rf"/u/{creator}/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(creator)
    expect(main.get_by_role("img", name=prompt).first).to_be_visible()
    main.get_by_role("button", name=f"Follow {creator}").click()
    expect(main.get_by_role("button", name=f"Following {creator}")).to_have_text("Following")
    main.get_by_role("link", name=re.compile(r"^1\s*follower$")).click()
    expect(page).to_have_url(re.compile(rf"/u/{creator}/followers/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"People following {creator}")
    expect(main.get_by_role("link", name=fan)).to_have_attribute("href", f"/u/{fan}")
    expect(main.get_by_role("button", name=f"Follow {fan}")).to_have_count(0)  # oneself

    # Their public image is now in the feed.
    page.goto("/feed")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your feed")
    expect(main.get_by_test_id("image-card").first).to_be_visible()
    assert result_ids(page) == found
    page.screenshot(path=str(shots_dir / "feed-desktop.png"), full_page=True)

    # A visitor on a phone, dark mode: the profile and explore fit 375 px; Follow asks to log in.
    visitor = browser.new_context(base_url=base_url, viewport=PHONE, color_scheme="dark")
    other = visitor.new_page()
    other.goto(f"/u/{creator}")
    expect(other.get_by_role("heading", level=1)).to_have_text(creator)
    assert has_no_horizontal_scroll(other)
    other.screenshot(path=str(shots_dir / "profile-phone-dark.png"), full_page=True)
    other.get_by_role("button", name=f"Follow {creator}").click()
    expect(other).to_have_url(re.compile(r"/login\?next=%2Fu%2F" + creator))
    other.goto(f"/explore?q={word}")
    expect(other.get_by_role("main").get_by_test_id("image-card").first).to_be_visible()
    assert has_no_horizontal_scroll(other)
    other.screenshot(path=str(shots_dir / "explore-phone-dark.png"), full_page=True)
    other.goto("/u/nobody_here_at_all")
    expect(other.get_by_role("heading", level=1)).to_have_text("User not found")
    for ctx in (visitor, fan_ctx, creator_ctx):
        ctx.close()
