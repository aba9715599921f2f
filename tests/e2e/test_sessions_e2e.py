"""Settings → Sessions in real browsers (issue 13, item 4): two browsers signed in to one
account; the laptop sees both sessions (its own marked "this device", each with its network),
signs the phone out from the list, and the phone is signed out at its next action."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_accounts_e2e import HOME_URL, PASSWORD, log_in, sign_up, unique_name
from tests.e2e.test_hosts_e2e import SESSION_ENDED, new_context

pytestmark = pytest.mark.e2e


def test_sign_out_another_browser_from_the_sessions_list(
    browser: Browser, base_url: str, shots_dir: Path
) -> None:
    laptop, phone = new_context(browser, base_url), new_context(browser, base_url)
    username = unique_name("sess")
    here = laptop.new_page()
    sign_up(here, username)
    there = phone.new_page()
    there.goto("/login")
    log_in(there, username, PASSWORD)
    expect(there).to_have_url(HOME_URL)
    there.goto("/settings")
    expect(there.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()

    here.goto("/settings")
    rows = here.locator(".ps-session-row")
    expect(rows).to_have_count(2)
    mine = rows.filter(has_text="This device")
    expect(mine).to_have_count(1)
    expect(rows.first).to_contain_text("This device")  # listed first
    # Both signed in from loopback: the network is its /24, never the address.
    expect(rows.filter(has_text="Network 127.0.0.0/24")).to_have_count(2)
    expect(rows.first).to_contain_text(re.compile(r"last seen \d{4}-\d{2}-\d{2} \d{2}:\d{2}"))

    here.get_by_role("heading", name="Sessions", exact=True).scroll_into_view_if_needed()
    here.screenshot(path=str(shots_dir / "settings-sessions.png"), full_page=True)
    other = rows.filter(has_not_text="This device")
    other.get_by_role("button", name=re.compile(r"^Sign out ")).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("This device")

    # The phone's next action finds its session gone: signed out, sent to log in.
    there.locator("#settings-private").click()
    expect(there).to_have_url(re.compile(r"/login/?\?next=%2Fsettings$"))
    expect(there.get_by_text(SESSION_ENDED)).to_be_visible()
    there.goto("/home")
    expect(there).to_have_url(re.compile(r"/login/?\?next=%2Fhome$"))

    # The laptop is still signed in.
    here.reload()
    expect(here.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    expect(here.locator(".ps-session-row")).to_have_count(1)
    laptop.close()
    phone.close()
