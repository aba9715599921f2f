"""Accessibility in a real browser.

1. axe-core on every page the app registers (read from the app at test time, dynamic routes
   filled with real ids of a seeded image, set, collection and user), signed out and signed
   in, each in light and dark mode (toggled with the nav's button in the same page): no
   serious or critical violation. One server, one context per sign-in state.
2. Keyboard only (Tab, Shift+Tab, Enter, Space, arrows, Escape; no click): log in, make an
   image on /create, open it from the jobs panel and from the set page, use the "Add to
   collection" dialog (focus moves in, stays in, and comes back to its button), with the
   focused element visibly outlined at every step.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from pixel_studio.cli import DEMO_USERS
from tests.e2e.a11y_support import (
    AXE_JS,
    TRACK_MUTATIONS,
    World,
    app_routes,
    describe,
    scan,
    seed_world,
    wait_settled,
)
from tests.e2e.conftest import AppServer
from tests.e2e.test_accounts_e2e import DESKTOP
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT

pytestmark = pytest.mark.e2e

TOGGLE = "Toggle dark mode"


@pytest.fixture(scope="module")
def world(app_server: AppServer, app_url: str) -> World:
    demo = DEMO_USERS[0]
    return seed_world(app_server, demo.username, demo.password)


def _context(browser: Browser, base_url: str) -> BrowserContext:
    assert AXE_JS.is_file(), f"{AXE_JS} missing: run `npm ci --prefix tools`"
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, color_scheme="light")
    context.add_init_script(script=TRACK_MUTATIONS)
    context.add_init_script(path=str(AXE_JS))
    return context


def _theme(page: Page) -> str:
    return "dark" if "dark" in (page.locator("html").get_attribute("class") or "") else "light"


def _toggle_theme(page: Page) -> str:
    """The nav's colour-mode button; a page without it (none today) gets the stored choice
    flipped and reloads: Reflex reads it from localStorage."""
    before = _theme(page)
    after = "light" if before == "dark" else "dark"
    button = page.get_by_role("button", name=TOGGLE).filter(visible=True)
    if button.count():
        button.first.click()
    else:
        page.evaluate(f"localStorage.setItem('theme', '{after}')")
        page.reload()
    expect(page.locator("html")).to_have_class(re.compile(rf"\b{after}\b"))
    wait_settled(page, 400)  # colour transitions end before contrast is measured
    return after


def _scan_all(page: Page, world: World, who: str) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    scanned: list[str] = []
    seen_paths: set[str] = set()
    for route in app_routes():
        try:
            path = world.path(route)
        except LookupError as exc:
            problems.append(str(exc))
            continue
        page.goto(path)
        try:
            wait_settled(page)
        except AssertionError as exc:
            problems.append(f"{who} {path}: {exc}")
            continue
        final = re.sub(r"^https?://[^/]+", "", page.url).split("?")[0].rstrip("/") or "/"
        if who == "signed in" and "[" in route:
            heading = page.get_by_role("heading", level=1).first.inner_text()
            if "does not exist" in heading or "not found" in heading.lower():
                problems.append(f"{who} {path}: the seeded id gave a not-found page ({heading})")
        if final in seen_paths and route != "404":
            continue  # a visitor sent to /login again: scanned already
        seen_paths.add(final)
        for turn in range(2):  # the theme it opened in, then the other one
            theme = _theme(page)
            where = f"{who} {path} -> {final} ({theme})"
            problems += describe(where, scan(page))
            scanned.append(where)
            if who == "signed in":  # a visitor's dialog triggers send them to log in
                problems += _scan_popups(page, where)
            if turn == 0:
                # Not toggled back after the second scan: the next page opens in the theme
                # this one ended in (it is stored), and is scanned in that one first.
                _toggle_theme(page)
    return problems, scanned


POPUP = "[role=dialog], [role=alertdialog], [role=menu]"


def _scan_popups(page: Page, where: str) -> list[str]:
    """Each dialog and menu the page can open, opened from the keyboard and scanned open
    (Radix hides the rest of the page from assistive tech meanwhile), closed with Escape."""
    problems: list[str] = []
    triggers = page.locator("[aria-haspopup=dialog]:visible, [aria-haspopup=menu]:visible")
    for index in range(triggers.count()):
        trigger = triggers.nth(index)
        name = (trigger.get_attribute("aria-label") or trigger.inner_text()).strip()
        trigger.focus()
        page.keyboard.press("Enter")
        popup = page.locator(POPUP).filter(visible=True)
        try:
            expect(popup.first).to_be_visible()
            wait_settled(page, 300)
        except AssertionError as exc:
            problems.append(f"{where}: popup of {name!r} did not open by keyboard: {exc}")
            continue
        problems += describe(f"{where} [open: {name}]", scan(page))
        page.keyboard.press("Escape")
        expect(page.locator(POPUP)).to_have_count(0)
    return problems


def _axe_finds_a_planted_violation(page: Page) -> None:
    """The scanner itself works: an image without alt text planted in a page is reported."""
    page.goto("/")
    wait_settled(page)
    page.evaluate(
        "() => { const i = document.createElement('img'); i.id = 'planted';"
        " i.src = '/favicon-32.png'; document.querySelector('main').append(i); }"
    )
    found = [v for v in scan(page) if v["id"] == "image-alt"]
    assert found and found[0]["nodes"][0]["target"] == "#planted", found


# Every page, both states, both themes (27 routes and counting): past the default 300 s
# on a loaded machine, the app's cold build included.
@pytest.mark.timeout(900)
def test_axe_every_page_signed_out_and_in(browser: Browser, base_url: str, world: World) -> None:
    problems: list[str] = []
    scanned: list[str] = []
    for who in ("signed out", "signed in"):
        context = _context(browser, base_url)
        page = context.new_page()
        if who == "signed in":
            page.goto("/login")
            page.get_by_label("Username or email").fill(world.username)
            page.get_by_label("Password").fill(world.password)
            page.get_by_label("Password").press("Enter")
            expect(page).to_have_url(re.compile(r"/home/?$"))
            # The unread count (seeded) is in the nav of every page scanned from here.
            expect(page.get_by_test_id("bell-count").filter(visible=True)).to_have_count(1)
        if who == "signed out":
            _axe_finds_a_planted_violation(page)
        found, where = _scan_all(page, world, who)
        problems += found
        scanned += where
        context.close()
    # Both themes of every distinct page, in both states (a visitor's account pages end on
    # /login, scanned once): at least the pages that existed when this was written.
    for who, least in (("signed out", 5), ("signed in", 15)):
        for theme in ("light", "dark"):
            done = [s for s in scanned if s.startswith(who) and s.endswith(f"({theme})")]
            assert len(done) >= least, (who, theme, done)
    # The pages account emails lead to (issue 13) are scanned, for visitors and members.
    for who in ("signed out", "signed in"):
        for path in ("/forgot-password", "/reset-password", "/verify"):
            assert any(s.startswith(who) and f"-> {path} (" in s for s in scanned), (who, path)
    assert not problems, f"{len(problems)} problems in {len(scanned)} scans:\n" + "\n".join(
        problems
    )


def _scan_both_themes(page: Page, where: str) -> list[str]:
    """The theme the page is in, then the other one (left on: the next state starts there)."""
    first = _theme(page)
    problems = describe(f"{where} ({first})", scan(page))
    second = _toggle_theme(page)
    assert second != first
    return problems + describe(f"{where} ({second})", scan(page))


def test_axe_editing_forms_and_compare_modes(browser: Browser, base_url: str, world: World) -> None:
    """Issue 12's states that no plain page load shows: each edit form open on the image page
    (Inpaint with its mask painter), /edit from an image, and /compare varying presets and
    seeds, in both themes."""
    context = _context(browser, base_url)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username or email").fill(world.username)
    page.get_by_label("Password").fill(world.password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/home/?$"))
    problems: list[str] = []
    page.goto(f"/image/{world.image_id}")
    wait_settled(page)
    main = page.get_by_role("main")
    for action in ("Vary (subtle)", "Inpaint", "Zoom out", "Upscale"):
        main.get_by_role("button", name=action).click()
        expect(page.locator("#edit-form")).to_be_visible()
        wait_settled(page)
        problems += _scan_both_themes(page, f"/image/{world.image_id} [{action}]")
    expect(page.get_by_test_id("mask-canvas")).to_have_count(0)  # closed with Upscale's open
    page.goto(f"/edit?from={world.image_id}")
    expect(page.get_by_test_id("start-image")).to_be_visible()
    wait_settled(page)
    problems += _scan_both_themes(page, f"/edit?from={world.image_id}")
    page.goto("/compare")
    wait_settled(page)
    for mode in ("Style presets", "Seeds"):
        page.get_by_role("radio", name=mode).click()
        expect(page.get_by_role("radio", name=mode)).to_be_checked()
        wait_settled(page)
        problems += _scan_both_themes(page, f"/compare [{mode}]")
    context.close()
    assert not problems, "\n".join(problems)


# --- keyboard only -------------------------------------------------------------------------

FOCUS_INFO = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // An outline on the element, or on a wrapper that draws it for :focus-within (a Radix text
  // field outlines its root, not the <input>).
  const outlined = (node, pseudo) => {
    const style = getComputedStyle(node, pseudo);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  };
  let ring = outlined(el) || outlined(el, '::before');  // a Radix switch rings its ::before
  for (let up = el.parentElement, n = 0; !ring && up && n < 3; up = up.parentElement, n++) {
    ring = up.matches(':focus-within') && outlined(up);
  }
  return {
    tag: el.tagName.toLowerCase(),
    role: el.getAttribute('role') || '',
    name: (el.getAttribute('aria-label') || el.labels?.[0]?.innerText || el.innerText.trim()
           || el.querySelector('img')?.alt || el.getAttribute('title')
           || el.getAttribute('placeholder') || '').trim(),
    id: el.id,
    visible: el.matches(':focus-visible') && ring,
    inDialog: !!el.closest('[role=dialog], [role=alertdialog]'),
  };
}
"""


def focused(page: Page) -> dict[str, Any]:
    info: dict[str, Any] | None = page.evaluate(FOCUS_INFO)
    assert info is not None, "focus fell to the page body"
    return info


def tab_to(page: Page, name: str | re.Pattern[str], *, back: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab) until the focused element's accessible name matches; each stop on
    the way must show a visible focus indicator."""
    pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^{re.escape(name)}$")
    stops = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        info = focused(page)
        stops.append(info["name"][:40])
        assert info["visible"], f"no visible focus on {info}"
        if pattern.search(info["name"]):
            return
    raise AssertionError(f"never reached {pattern.pattern!r} by Tab; stops: {stops}")


def test_keyboard_only_create_and_open(browser: Browser, base_url: str, world: World) -> None:
    # A seeded demo account (not the scanned one): signing up would spend the sign-up tier
    # (5 an hour per network) the other browser tests need.
    demo = DEMO_USERS[1]
    context = browser.new_context(base_url=base_url, viewport=DESKTOP)
    context.add_init_script(script=TRACK_MUTATIONS)
    page = context.new_page()

    # Log in: the skip link first, then the form's fields in order; Enter submits.
    page.goto("/login")
    expect(page.get_by_label("Username or email")).to_be_visible()
    wait_settled(page)  # hydrated: focus set before React takes over the page would be lost
    # The form focuses its first field; Shift+Tab from there reaches the skip link.
    assert focused(page)["name"] == "Username or email", focused(page)
    tab_to(page, "Skip to content", back=True)
    tab_to(page, "Username or email")
    page.keyboard.type(demo.username)
    tab_to(page, "Password")
    page.keyboard.type(demo.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/home/?$"))
    wait_settled(page)

    # To /create by the nav link.
    tab_to(page, "Create")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/create/?$"))
    wait_settled(page)
    expect(page.get_by_label("Model", exact=True)).to_have_value("local-sketch")
    tab_to(page, "Prompt")
    prompt = "a paper boat on a quiet pond at dusk"
    page.keyboard.type(prompt)
    # Number of images: a native select, moved with the arrow keys (a phone opens its picker).
    tab_to(page, re.compile(r"^Number of images"))
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Number of images", exact=True)).to_have_value("2")
    expect(page.get_by_text("2 × 1 per image")).to_be_visible()
    tab_to(page, re.compile(r"^Generate"))
    page.keyboard.press("Enter")

    # The jobs panel: the card fills in; a polite live region says how far it is.
    card = page.get_by_test_id("job-card").filter(has_text=prompt)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    status = card.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("Done")
    # Open one image's set straight from its thumbnail in the panel.
    tab_to(page, prompt)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sets/\d+/?$"))
    wait_settled(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(prompt)

    # From the set page to the image page.
    tab_to(page, re.compile(r"^Open the image page|^" + re.escape(prompt)))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/image/\d+/?$"))
    expect(page.get_by_role("img", name=prompt).first).to_be_visible()
    # Every part of the page in (comments last): on a busy machine a part arriving after a
    # quiet spell replaced the element the Tab walk stood on, and the focus fell to the body.
    expect(page.get_by_test_id("comments-skeleton")).to_have_count(0, timeout=LIVE_TIMEOUT)
    wait_settled(page)

    # A dialog: Enter opens it, focus is inside, Tab cannot leave, Escape returns focus.
    tab_to(page, re.compile(r"Add to collection", re.I))
    trigger = focused(page)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name(re.compile("Add to collection"))
    expect(dialog).to_have_accessible_description(re.compile(r"\w"))
    for _ in range(8):
        page.keyboard.press("Tab")
        assert focused(page)["inDialog"], "Tab left the open dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    back = focused(page)
    assert back["name"] == trigger["name"] and back["visible"], (trigger, back)
    context.close()
