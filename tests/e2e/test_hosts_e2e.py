"""The app at every loopback address, its static assets, and sign-out reaching open tabs.

`make run` prints `http://127.0.0.1:3000/` while SITE_URL says localhost: the socket must
accept both (issue 6, item 1), and the session cookie, `/auth/session` and
`/auth/signed-out` must work at each. Item 12: the favicon, share image and robots.txt are
served from assets/. Item 5: a log-out, or "sign out everywhere", stops the other tabs at
their next action.
"""

from __future__ import annotations

import io
import re
import urllib.request

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.test_accounts_e2e import (
    DESKTOP,
    HOME_URL,
    LANDING_URL,
    PASSWORD,
    log_in,
    nav,
    sign_up,
    unique_name,
    visible,
)

pytestmark = pytest.mark.e2e

SESSION_ENDED = "Your session has ended. Log in again."


def at_host(base_url: str, host: str) -> str:
    return re.sub(r"//localhost:", f"//{host}:", base_url)


def new_context(browser: Browser, base_url: str) -> BrowserContext:
    return browser.new_context(base_url=base_url, viewport=DESKTOP)


def log_out(page: Page, username: str) -> None:
    visible(nav(page).get_by_role("button", name=username)).click()
    # The tab signs out over the socket first (its page may already move to "/"), then loads
    # /auth/signed-out, whose response drops the cookie: wait for that response itself.
    with page.expect_response(lambda response: "/auth/signed-out" in response.url):
        page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(LANDING_URL)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_sign_up_log_out_and_in_at_each_loopback_address(
    browser: Browser, base_url: str, host: str
) -> None:
    site = at_host(base_url, host)
    context = new_context(browser, site)
    page = context.new_page()
    username = unique_name("host")
    sign_up(page, username)  # the ticket goes through /auth/session at this host
    # The nav fills in from the socket: it connected from this origin, with the cookie.
    expect(visible(nav(page).get_by_text(username))).to_be_visible()
    expect(page.get_by_text("Cannot connect to server")).to_have_count(0)
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["ps_session"]["domain"] == host and cookies["ps_session"]["httpOnly"]

    log_out(page, username)  # /auth/signed-out drops the cookie at this host
    assert "ps_session" not in {c["name"] for c in context.cookies()}
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/login/?\?next=%2Fhome$"))
    log_in(page, username, PASSWORD)
    expect(page).to_have_url(HOME_URL)
    assert page.url.startswith(site)
    expect(visible(nav(page).get_by_text(username))).to_be_visible()
    context.close()


def test_assets_are_served_and_named_in_the_head(page: Page, base_url: str) -> None:
    def get(path: str) -> tuple[str, bytes]:
        with urllib.request.urlopen(base_url + path, timeout=10) as response:
            return response.headers.get("content-type", ""), response.read()

    kind, body = get("/favicon.ico")
    assert body[:4] == b"\0\0\1\0", kind  # an ICO file
    kind, body = get("/social.png")
    assert Image.open(io.BytesIO(body)).size == (1200, 630)
    kind, body = get("/robots.txt")
    assert kind.startswith("text/plain") and b"Disallow: /api/" in body

    page.goto("/")
    expect(page.locator('link[rel="icon"][href="/favicon.ico"]')).to_have_count(1)
    og_image = page.locator('meta[property="og:image"]')
    expect(og_image).to_have_attribute("content", re.compile(r"/social\.png$"))


def test_log_out_in_one_tab_stops_the_other_at_its_next_action(
    browser: Browser, base_url: str
) -> None:
    context = new_context(browser, base_url)
    first = context.new_page()
    username = unique_name("tabs")
    sign_up(first, username)
    second = context.new_page()
    second.goto("/settings")
    expect(second.get_by_role("heading", name="Settings")).to_be_visible()

    log_out(first, username)
    second.locator("#settings-private").click()  # the next action of the other tab
    expect(second).to_have_url(re.compile(r"/login/?\?next=%2Fsettings$"))
    expect(second.get_by_text(SESSION_ENDED)).to_be_visible()
    context.close()


# Production too: there the tab's states live in Redis and several backend processes serve.
@pytest.mark.parametrize("app_profile", ["embedded", "production"], indirect=True)
def test_sign_out_everywhere_ends_other_browsers(
    browser: Browser, base_url: str, app_profile: str
) -> None:
    laptop, phone = new_context(browser, base_url), new_context(browser, base_url)
    username = unique_name("every")
    here = laptop.new_page()
    sign_up(here, username)
    there = phone.new_page()
    there.goto("/login")
    log_in(there, username, PASSWORD)
    expect(there).to_have_url(HOME_URL)
    there.goto("/settings")
    expect(there.get_by_role("heading", name="Settings")).to_be_visible()

    here.goto("/settings")
    # As `log_out`: the tab signs out over the socket, then loads /auth/signed-out (a
    # background event on a loaded machine took longer than the URL check waits).
    with here.expect_response(lambda response: "/auth/signed-out" in response.url):
        here.get_by_role("button", name="Sign out everywhere").click()
    expect(here).to_have_url(LANDING_URL)
    expect(visible(nav(here).get_by_role("link", name="Log in"))).to_be_visible()

    there.locator("#settings-private").click()
    expect(there).to_have_url(re.compile(r"/login/?\?next=%2Fsettings$"))
    there.goto("/home")
    expect(there).to_have_url(re.compile(r"/login/?\?next=%2Fhome$"))
    laptop.close()
    phone.close()
