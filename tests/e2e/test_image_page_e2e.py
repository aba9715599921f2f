"""The image page in a real browser: generate an image, open it from its set, read its details,
copy the prompt and the share link, make it private, and check that a visitor in another
browser context gets the same "not found" as for a missing id (page and share link)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_accounts_e2e import DESKTOP, PHONE, has_no_horizontal_scroll, sign_up_by_api
from tests.e2e.test_accounts_e2e import unique_name as unique
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT

pytestmark = pytest.mark.e2e

PROMPT = "a copper teapot on a windowsill, morning light"


def test_image_page_privacy_and_share(browser: Browser, base_url: str, shots_dir: Path) -> None:
    owner_context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    owner_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = owner_context.new_page()
    username = unique("img")
    sign_up_by_api(page, username)

    page.goto("/create")
    page.get_by_label("Prompt").fill(PROMPT)
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    expect(page).to_have_url(re.compile(r"/sets/\d+/?$"))

    # The set's picture opens the image page, not the raw file.
    page.get_by_title("Open the image page").first.click()
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    image_path = re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")
    image_id = image_path.rsplit("/", 1)[-1]
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", level=1)).to_have_text(PROMPT)
    picture = main.get_by_role("img", name=PROMPT).first
    expect(picture).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
    )
    expect(main.get_by_role("link", name=f"Creator: {username}")).to_have_attribute(
        "href", f"/u/{username}"
    )
    expect(main.get_by_text("Seed", exact=True)).to_be_visible()
    expect(main.get_by_text("Local sketch", exact=False).first).to_be_visible()
    expect(main.get_by_role("link", name="Open its set")).to_have_attribute(
        "href", re.compile(r"^/sets/\d+$")
    )
    expect(main.get_by_role("link", name="Remix")).to_have_attribute(
        "href", f"/create?from={image_id}"
    )
    download = main.get_by_role("link", name="Download")
    expect(download).to_have_attribute("href", f"/download/image/{image_id}")
    response = page.request.get(f"/download/image/{image_id}")
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("attachment;")

    main.get_by_role("button", name="Copy prompt").click()
    expect(page.get_by_text("Prompt copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == PROMPT

    main.get_by_role("button", name="Share").click()
    expect(page.get_by_text("Share link copied.")).to_be_visible()
    share_link = page.evaluate("navigator.clipboard.readText()")
    assert share_link == f"{base_url}/share/image/{image_id}"
    shared = page.request.get(share_link, max_redirects=0)
    assert shared.status == 200 and f'content="{PROMPT} · Pixel Studio"' in shared.text()
    page.screenshot(path=str(shots_dir / "image-desktop.png"), full_page=True)

    # Private: the owner still sees it; the share link and a visitor do not.
    main.get_by_role("switch").click()
    expect(page.get_by_text("The image is private.")).to_be_visible()
    expect(main.get_by_text("Only you can see this image.")).to_be_visible()
    expect(main.get_by_role("button", name="Share")).to_be_disabled()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROMPT)
    expect(page.get_by_role("switch")).to_have_attribute("aria-checked", "true")

    visitor = browser.new_context(base_url=base_url, viewport=PHONE)
    other = visitor.new_page()
    other.goto(image_path)
    expect(other.get_by_role("heading", level=1)).to_have_text("Image not found")
    expect(other.get_by_text(PROMPT)).to_have_count(0)
    assert has_no_horizontal_scroll(other)
    other.goto("/image/999999999")
    expect(other.get_by_role("heading", level=1)).to_have_text("Image not found")
    assert other.request.get(share_link).status == 404
    assert other.request.get(f"/download/image/{image_id}").status == 404
    visitor.close()
    owner_context.close()
