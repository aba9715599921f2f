"""Accounts in a real browser against the running app: sign up, log out, log in, the shell."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
PHONE: ViewportSize = {"width": 375, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
HOME_URL = re.compile(r"/home/?$")
# The site's root: not just any URL ending in "/" (a page load makes /home into /home/).
LANDING_URL = re.compile(r"^https?://[^/]+/$")


def unique_name(prefix: str) -> str:
    return f"{prefix}{time.time_ns() % 10**9}"


def nav(page: Page) -> Locator:
    return page.get_by_role("banner")


def visible(locator: Locator) -> Locator:
    # The nav holds desktop and phone variants; CSS hides one of them.
    return locator.filter(visible=True).first


def sign_up(page: Page, username: str) -> None:
    page.goto("/signup")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(HOME_URL)


def sign_up_by_api(page: Page, username: str) -> None:
    """The same account as `sign_up`, made over the JSON API (the same service, whose cookie
    lands in the page's browser context), then /home opened: for tests whose subject comes
    after signing up. Spares a page load and a form round trip; the form has its own tests
    (test_account_journey here, tests/e2e/test_hosts_e2e.py)."""
    made = page.request.post(
        "/api/auth/signup",
        data={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    assert made.status == 201, made.text()
    page.goto("/home")
    expect(page).to_have_url(HOME_URL)


def log_in(page: Page, login: str, password: str) -> None:
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")  # Enter submits: keyboard users need no mouse


def has_no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_account_journey(page: Page) -> None:
    page.set_viewport_size(DESKTOP)
    username = unique_name("e2e")
    sign_up(page, username)
    expect(visible(nav(page).get_by_text(username))).to_be_visible()
    expect(visible(nav(page).get_by_text("5 credits"))).to_be_visible()

    # Log out from the user menu: back on the landing page as a visitor.
    visible(nav(page).get_by_role("button", name=username)).click()
    page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(LANDING_URL)
    expect(visible(nav(page).get_by_role("link", name="Log in"))).to_be_visible()
    page.goto("/home")  # the revoked session no longer opens it
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fhome$"))

    log_in(page, username, "wrong password")
    expect(page.locator("#login-password-error")).to_have_text("Wrong username, email or password.")
    expect(page).to_have_url(re.compile(r"/login"))

    log_in(page, f"{username}@example.com", PASSWORD)
    expect(page).to_have_url(HOME_URL)
    expect(page.get_by_role("heading", name=username)).to_be_visible()

    page.reload()
    expect(page).to_have_url(HOME_URL)
    expect(visible(nav(page).get_by_text(username))).to_be_visible()

    # Dark mode is remembered across a reload.
    html = page.locator("html")
    expect(html).not_to_have_class(re.compile(r"\bdark\b"))
    visible(page.get_by_role("button", name="Toggle dark mode")).click()
    expect(html).to_have_class(re.compile(r"\bdark\b"))
    page.reload()
    expect(visible(nav(page).get_by_text(username))).to_be_visible()
    expect(html).to_have_class(re.compile(r"\bdark\b"))

    # Phone width: no sideways scrolling, and the menu moves into a drawer.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(visible(nav(page).get_by_text("5 credits"))).to_be_visible()
    assert has_no_horizontal_scroll(page)
    page.get_by_role("button", name="Open menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("dialog").get_by_text(username)).to_be_visible()


def test_settings_rename_and_avatar(page: Page, tmp_path: Path) -> None:
    page.set_viewport_size(DESKTOP)
    sign_up_by_api(page, unique_name("set"))
    page.goto("/settings")
    new_name = unique_name("renamed")
    field = page.get_by_label("Username", exact=True)  # not "Type your username to confirm"
    field.fill(new_name)
    field.press("Enter")
    expect(visible(nav(page).get_by_text(new_name))).to_be_visible()

    bad = tmp_path / "fake.png"
    bad.write_bytes(b"this is not a picture")
    page.locator(".ps-dropzone input[type=file]").set_input_files(str(bad))
    expect(page.get_by_role("alert").filter(has_text="not an image we accept")).to_be_visible()

    good = tmp_path / "me.png"
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), (110, 86, 207)).save(buffer, format="PNG")
    good.write_bytes(buffer.getvalue())
    page.locator(".ps-dropzone input[type=file]").set_input_files(str(good))
    expect(page.get_by_text("Avatar updated.")).to_be_visible()
    # The nav's avatar now loads the re-encoded file from storage. It sits beside the username
    # in the menu button, so it is decorative there (empty alt): find it by its file.
    expect(visible(nav(page).locator('img[src*="avatars/"]'))).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="not an image")).to_have_count(0)


def test_visitor_pages(page: Page) -> None:
    page.set_viewport_size(PHONE)
    for path in ("/", "/signup", "/login"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert has_no_horizontal_scroll(page), path
    page.goto("/auth/session?ticket=not-a-ticket")
    expect(page.get_by_text("That sign-in link has expired")).to_be_visible()
    page.goto("/no-such-page")
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()


def test_screenshots(browser: Browser, base_url: str, shots_dir: Path) -> None:
    """Light and dark, desktop and phone: landing, sign-up, home. Looked at by people."""
    first = browser.new_context(base_url=base_url, viewport=DESKTOP)
    sign_up_by_api(first.new_page(), unique_name("shot"))
    signed_in: Any = first.storage_state()
    first.close()
    for mode in ("light", "dark"):
        for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            for name, path, state in (
                ("landing", "/", None),
                ("signup", "/signup", None),
                ("home", "/home", signed_in),
            ):
                context = browser.new_context(
                    base_url=base_url, viewport=viewport, storage_state=state
                )
                context.add_init_script(f"localStorage.setItem('theme', '{mode}')")
                page = context.new_page()
                page.goto(path)
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                expect(page.locator("html")).to_have_class(re.compile(rf"\b{mode}\b"))
                page.wait_for_timeout(300)  # let fonts and transitions settle
                page.screenshot(path=str(shots_dir / f"{name}-{mode}-{device}.png"), full_page=True)
                assert has_no_horizontal_scroll(page), f"{name} {mode} {device}"
                context.close()
