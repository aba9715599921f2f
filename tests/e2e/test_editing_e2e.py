"""Editing in a real browser, on the embedded profile (the local sketch model, in-process jobs):
from an image's page, vary it, paint a mask and inpaint, zoom out and upscale. Each result fills
in live on the page where it was started (the jobs panel and the "Made from this image" strip,
no reload), opens its own page with a "Made from" link back, shows its width × height, and
each edit charges its catalog price once. Then the painter driven by keyboard alone.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from playwright.sync_api import FilePayload, Locator, Page, expect

from tests.e2e.test_accounts_e2e import DESKTOP, sign_up_by_api, unique_name

pytestmark = pytest.mark.e2e

PROMPT = "a quiet harbour with red boats at dawn"
LIVE_TIMEOUT = 60_000  # ms


def _credits(page: Page) -> int:
    badge = page.get_by_test_id("edit-cost")
    text = badge.inner_text()
    match = re.search(r"balance\s+(\d+)", text)
    assert match, text
    return int(match.group(1))


def _make_image(page: Page) -> str:
    """A 256² local-sketch image; returns its page's path."""
    page.goto("/create")
    page.get_by_label("Prompt").fill(PROMPT)
    page.get_by_label("Size", exact=True).select_option(label="256 × 256 · square")
    page.get_by_role("button", name="Generate").click()
    card = page.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    page.get_by_title("Open the image page").first.click()
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    return re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")


def _pixels(page: Page, image_path: str) -> np.ndarray:
    """The image's original file, through the download route (as its owner)."""
    image_id = image_path.rstrip("/").rsplit("/", 1)[-1]
    response = page.request.get(f"/download/image/{image_id}")
    assert response.ok, response.status
    return np.asarray(PILImage.open(io.BytesIO(response.body())).convert("RGB"))


def _derived(page: Page) -> Locator:
    return page.get_by_role("list", name="Made from this image").get_by_role("listitem")


SUBMIT = {
    "Vary": "Make the variation",
    "Inpaint": "Repaint the area",
    "Zoom out": "Extend the picture",
    "Upscale": "Make it larger",
}


def _submit_and_wait(page: Page, action: str, made: int) -> None:
    """Submit the open edit form; the job fills in live and its image joins the strip."""
    page.evaluate("window.__same_page = true")
    page.get_by_role("button", name=SUBMIT[action], exact=True).click()
    expect(page.get_by_text(f"{action}: started.")).to_be_visible()
    card = page.get_by_test_id("job-card").first
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    expect(_derived(page)).to_have_count(made, timeout=LIVE_TIMEOUT)
    assert page.evaluate("window.__same_page === true")  # live: no reload happened


def _check_result(page: Page, source: str, size: str, how: str) -> None:
    """The newest image made from `source`: its page links back and shows its size."""
    _derived(page).first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    made_from = page.get_by_test_id("made-from")
    expect(made_from).to_contain_text("made from")
    expect(made_from).to_contain_text(how)
    expect(made_from).to_have_attribute("href", re.compile(re.escape(source) + "/?$"))
    expect(page.get_by_test_id("image-size")).to_have_text(size)
    made_from.click()
    expect(page).to_have_url(re.compile(re.escape(source) + "/?$"))
    # The source's own page has loaded (until then the page still shows the newer image).
    expect(page.get_by_test_id("made-from")).to_have_count(0)


def test_vary_inpaint_zoom_out_upscale_each_live_with_its_source(
    page: Page, shots_dir: Path
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("edit"))
    source = _make_image(page)
    main = page.get_by_role("main")
    expect(page.get_by_test_id("image-size")).to_have_text("256 × 256")

    # Vary (strong): one credit, a job filling in live, its image in the strip.
    main.get_by_role("button", name="Vary (strong)").click()
    expect(main.get_by_role("heading", name="Vary", level=2)).to_be_visible()
    expect(page.get_by_label("How far")).to_contain_text("Strong")
    expect(page.get_by_test_id("edit-cost")).to_contain_text("cost 1 credits")
    before = _credits(page)
    _submit_and_wait(page, "Vary", 1)
    assert _credits(page) == before - 1
    page.screenshot(path=str(shots_dir / "edit-vary.png"), full_page=True)
    _check_result(page, source, "256 × 256", "Vary (strong)")

    # Inpaint: paint a stroke with the mouse over the picture, then say what goes there.
    main.get_by_role("button", name="Inpaint").click()
    canvas = page.get_by_test_id("mask-canvas")
    expect(canvas).to_be_visible()
    expect(page.get_by_test_id("mask-status")).to_have_text("Nothing painted yet.")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(
            box["x"] + box["width"] * (0.3 + step * 0.04), box["y"] + box["height"] * 0.35
        )
    page.mouse.up()
    expect(page.get_by_test_id("mask-status")).to_have_text("Mask ready.")
    # Undo empties it, the stroke again fills it: both reach the server.
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_test_id("mask-status")).to_have_text("Nothing painted yet.")
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6)
    page.mouse.up()
    expect(page.get_by_test_id("mask-status")).to_have_text("Mask ready.")
    page.get_by_label("What to paint in the marked area").fill("a red kite")
    page.screenshot(path=str(shots_dir / "edit-inpaint-painter.png"), full_page=True)
    _submit_and_wait(page, "Inpaint", 2)
    _check_result(page, source, "256 × 256", "Inpaint")

    # Zoom out 2×, every side: a 512² picture continuing the scene.
    main.get_by_role("button", name="Zoom out").click()
    page.get_by_label("Zoom out by").select_option(label="2×")
    expect(page.get_by_test_id("edit-cost")).to_contain_text("Result 512 × 512")
    _submit_and_wait(page, "Zoom out", 3)
    _check_result(page, source, "512 × 512", "Zoom out 2×")

    # Upscale 2×: the last of the five starting credits.
    main.get_by_role("button", name="Upscale").click()
    expect(page.get_by_test_id("edit-cost")).to_contain_text("Result 512 × 512")
    _submit_and_wait(page, "Upscale", 4)
    assert _credits(page) == 0
    page.screenshot(path=str(shots_dir / "edit-image-page.png"), full_page=True)
    _check_result(page, source, "512 × 512", "Upscale 2×")


def test_the_mask_painter_by_keyboard_alone(page: Page) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("keys"))
    source = _make_image(page)
    page.get_by_role("main").get_by_role("button", name="Inpaint").focus()
    page.keyboard.press("Enter")
    canvas = page.get_by_test_id("mask-canvas")
    expect(canvas).to_be_visible()
    # The painter is ready once its picture has its name, and the focus has moved into the
    # form, to its heading (state/edit.FOCUS_FORM), however slowly the panel rendered.
    expect(canvas).to_have_accessible_name(re.compile("Mask over the image"))
    expect(page.locator("#edit-form-title")).to_be_focused()
    # Tab through the tools (brush size, brush, eraser) to the picture: every stop is a
    # labelled control, and the picture says how to use it.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.dataset?.testid === 'mask-canvas'"):
            break
    assert page.evaluate("document.activeElement?.dataset?.testid === 'mask-canvas'")
    expect(canvas).to_have_accessible_name(re.compile("Mask over the image, 0 marks"))
    # Move the rectangle right and down, make it smaller, add it.
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Shift+ArrowLeft", "Shift+ArrowUp"):
        page.keyboard.press(key)
    expect(page.get_by_role("status").filter(has_text="Rectangle at")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(canvas).to_have_accessible_name(re.compile("1 mark"))
    expect(page.get_by_test_id("mask-status")).to_have_text("Mask ready.")
    # Ctrl+Z undoes it; Enter adds it again.
    page.keyboard.press("Control+z")
    expect(page.get_by_test_id("mask-status")).to_have_text("Nothing painted yet.")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("mask-status")).to_have_text("Mask ready.")
    # On to the prompt, and submit with the keyboard.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.id === 'edit-prompt'"):
            break
    assert page.evaluate("document.activeElement?.id === 'edit-prompt'")
    page.keyboard.type("a small lighthouse")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement?.type === 'submit'"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_text("Inpaint: started.")).to_be_visible()
    expect(_derived(page)).to_have_count(1, timeout=LIVE_TIMEOUT)
    _derived(page).first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    result = re.sub(r"^https?://[^/]+", "", page.url).rstrip("/")
    # The rectangle, in the image's own pixels: it starts at (64, 64) 128×128 on a 256² image
    # and moves or sizes by 256/32 = 8 px a key: right 2, down 1, narrower 1, shorter 1.
    inside = np.zeros((256, 256), dtype=bool)
    inside[72 : 72 + 120, 80 : 80 + 120] = True
    before, after = _pixels(page, source), _pixels(page, result)
    assert before.shape == after.shape == (256, 256, 3)
    assert np.array_equal(after[~inside], before[~inside])  # exact outside the mask
    assert not np.array_equal(after[inside], before[inside])  # repainted inside it
    page.go_back()
    _check_result(page, source, "256 × 256", "Inpaint")


def _png(width: int, height: int) -> bytes:
    image = PILImage.new("RGB", (width, height), (30, 90, 160))
    for x in range(width // 4, width // 2):
        for y in range(height // 3, height // 2):
            image.putpixel((x, y), (240, 200, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_image_to_image_from_an_image_and_from_an_upload(page: Page) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("i2i"))
    source = _make_image(page)
    page.get_by_role("main").get_by_role("link", name="Use as start image").click()
    expect(page).to_have_url(re.compile(r"/edit/?\?from=\d+$"))
    expect(page.get_by_test_id("start-image")).to_contain_text(PROMPT)
    page.get_by_label("Prompt").fill("the same harbour under snow")
    strength = page.get_by_role("slider")
    strength.focus()
    page.keyboard.press("ArrowRight")  # 0.60 → 0.65, by keyboard
    expect(page.get_by_test_id("strength")).to_have_text("0.65")
    page.get_by_role("button", name="Start from this image").click()
    card = page.get_by_test_id("job-card").filter(has_text="under snow")
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    page.get_by_title("Open the image page").first.click()
    made_from = page.get_by_test_id("made-from")
    expect(made_from).to_contain_text("Image-to-image (0.65)")
    expect(made_from).to_have_attribute("href", re.compile(re.escape(source) + "/?$"))

    # An uploaded file: streamed through the upload route, checked by the service.
    page.goto("/edit")
    expect(page.get_by_label("Model")).to_contain_text("Local sketch")  # the page has loaded
    upload: FilePayload = {"name": "start.png", "mimeType": "image/png", "buffer": _png(320, 240)}
    page.locator("#start-image input[type=file]").set_input_files(files=[upload])
    expect(page.get_by_text("Chosen: start.png")).to_be_visible()
    page.get_by_label("Prompt").fill("a yellow kite over the sea")
    page.get_by_role("button", name="Start from this image").click()
    expect(page.get_by_text("Started.")).to_be_visible()
    card = page.get_by_test_id("job-card").filter(has_text="yellow kite")
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    page.get_by_title("Open the image page").first.click()
    expect(page.get_by_test_id("image-size")).to_have_text("320 × 240")
    expect(page.get_by_role("main")).to_contain_text("made from an uploaded image")
