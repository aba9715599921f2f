"""The example plugins in a real browser (the app started with examples/ installed and the
HTTP model's process on loopback): the plugin's model is offered on /create and a job through
it lands live; the palette page shows a public image's colours, and someone else's private
image reads "Image not found", like the image page."""

from __future__ import annotations

import os
import re
from importlib.util import find_spec
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_accounts_e2e import DESKTOP, PHONE, has_no_horizontal_scroll, sign_up_by_api
from tests.e2e.test_accounts_e2e import unique_name as unique
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT
from tests.plugins.http_model_server import colour_for

_MISSING = [m for m in ("pixel_studio_http_provider", "pixel_studio_palette") if not find_spec(m)]
if _MISSING and os.environ.get("PIXEL_STUDIO_REQUIRE_DIFFUSERS") == "1":
    # make test installs both (Makefile, the test-deps step): missing there is a failure.
    raise RuntimeError(f"the example plugins are not installed: {', '.join(_MISSING)}")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        bool(_MISSING),
        reason="the example plugins are not installed "
        "(pip install -e examples/http_provider -e examples/palette_page)",
    ),
    pytest.mark.parametrize("app_profile", ["plugins"], indirect=True),
]

PROMPT = "a lighthouse painted by a remote model"


def test_plugin_model_and_palette_page(
    browser: Browser, base_url: str, app_profile: str, model_server: Any
) -> None:
    owner_context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    page = owner_context.new_page()
    sign_up_by_api(page, unique("plug"))

    # The provider plugin's model is offered, available (HTTP_MODEL_URL is set), and a job
    # through it fills in live.
    page.goto("/create")
    page.get_by_label("Prompt").fill(PROMPT)
    model = page.get_by_label("Model", exact=True)
    expect(model.locator("option[value=http-model]")).to_contain_text("HTTP model")
    expect(model.locator("option[value=http-model]")).to_be_enabled()  # under "Ready to use"
    model.select_option("http-model")
    expect(model).to_have_value("http-model")
    asked = len(model_server.requests)
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    path, body = model_server.requests[asked]
    assert (path, body["prompt"]) == ("/generate", PROMPT)
    r, g, b = colour_for(body["seed"])

    card.get_by_role("link", name="Open set").click()
    expect(page).to_have_url(re.compile(r"/sets/\d+/?$"))
    page.get_by_title("Open the image page").first.click()
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    image_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.get_by_role("main").get_by_text("HTTP model").first).to_be_visible()

    # The page plugin: the picture is one flat colour, so its palette is that colour alone.
    palette = f"/palette/{image_id}"
    page.goto(palette)
    expect(page.get_by_role("heading", level=1)).to_have_text("Palette")
    swatches = page.get_by_test_id("swatch")
    expect(swatches).to_have_count(1)
    expect(swatches.first).to_contain_text(f"#{r:02x}{g:02x}{b:02x}")
    expect(swatches.first).to_contain_text("100%")
    expect(page).to_have_title("Palette · Pixel Studio")

    # A public image's palette is for visitors too.
    visitor = browser.new_context(base_url=base_url, viewport=PHONE)
    other = visitor.new_page()
    other.goto(palette)
    expect(other.get_by_role("heading", level=1)).to_have_text("Palette")
    expect(other.get_by_test_id("swatch")).to_have_count(1)
    assert has_no_horizontal_scroll(other)

    # Private: the owner still sees it; a visitor and another account get the not-found view.
    page.goto(f"/image/{image_id}")
    page.get_by_role("main").get_by_role("switch").click()
    expect(page.get_by_text("The image is private.")).to_be_visible()
    page.goto(palette)
    expect(page.get_by_test_id("swatch")).to_have_count(1)
    other.goto(palette)
    expect(other.get_by_role("heading", level=1)).to_have_text("Image not found")
    expect(other.get_by_test_id("swatch")).to_have_count(0)
    expect(other.get_by_text(PROMPT)).to_have_count(0)
    sign_up_by_api(other, unique("peer"))
    other.goto(palette)
    expect(other.get_by_role("heading", level=1)).to_have_text("Image not found")
    other.goto("/palette/999999999")
    expect(other.get_by_role("heading", level=1)).to_have_text("Image not found")
    visitor.close()
    owner_context.close()
