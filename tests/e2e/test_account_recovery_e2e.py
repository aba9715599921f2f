"""Account recovery in a real browser against the running app (embedded profile): sign up,
open the verification mail from the outbox (DATA_DIR/outbox), verify; forget the password,
open the reset mail, set a new one; the old password and every old session are refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import AppServer
from tests.e2e.test_accounts_e2e import PASSWORD, log_in, sign_up, unique_name
from tests.mail.outbox_reader import link_in, wait_for_mail

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "a fresh start 42"
LOGIN_URL = re.compile(r"/login/?(\?.*)?$")


def outbox(app_server: AppServer) -> Path:
    assert app_server.profile is not None
    return app_server.root / app_server.profile / "outbox"


def test_verify_then_recover_a_forgotten_password(
    page: Page, browser: Browser, base_url: str, app_server: AppServer
) -> None:
    username = unique_name("rec")
    email = f"{username}@example.com"
    sign_up(page, username)

    # The verification mail: its link opens the page that says the address is verified.
    verify_link = link_in(wait_for_mail(outbox(app_server), email, "Confirm"), "/verify")
    assert verify_link.startswith(base_url)  # built from SITE_URL
    page.goto(verify_link)
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text(
        f"Your email address {email} is verified"
    )
    page.goto("/settings")
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()
    page.goto(verify_link)  # single use
    expect(page.get_by_role("main").get_by_role("alert")).to_contain_text("already used")

    # A second browser signed in too: it must be signed out by the reset.
    other = browser.new_context(base_url=base_url)
    other_page = other.new_page()
    other_page.goto("/login")
    log_in(other_page, username, PASSWORD)
    expect(other_page).to_have_url(re.compile(r"/home/?$"))

    # Forgot password, from a signed-out browser.
    visitor = browser.new_context(base_url=base_url)
    forgot = visitor.new_page()
    forgot.goto("/login")
    forgot.get_by_role("link", name="Forgot password?").click()
    expect(forgot).to_have_url(re.compile(r"/forgot-password/?$"))
    forgot.get_by_label("Username or email").fill(email)
    forgot.get_by_role("button", name="Send me a link").click()
    expect(forgot.get_by_role("main").get_by_role("status")).to_contain_text(
        "If an account matches"
    )

    reset_link = link_in(wait_for_mail(outbox(app_server), email, "Reset"), "/reset-password")
    forgot.goto(reset_link)
    forgot.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    forgot.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    forgot.get_by_role("button", name="Set new password").click()
    expect(forgot.get_by_role("main").get_by_role("status")).to_contain_text(
        "Your password was changed"
    )
    wait_for_mail(outbox(app_server), email, "Your password was changed")

    # The old password is refused, the new one works.
    forgot.goto("/login")
    log_in(forgot, username, PASSWORD)
    expect(forgot.locator("#login-password-error")).to_have_text(
        "Wrong username, email or password."
    )
    log_in(forgot, username, NEW_PASSWORD)
    expect(forgot).to_have_url(re.compile(r"/home/?$"))

    # Every session from before the reset is signed out: both browsers land on the log-in page.
    for old in (page, other_page):
        old.goto("/settings")
        expect(old).to_have_url(LOGIN_URL)
    # The link was spent.
    forgot.goto(reset_link)
    expect(forgot.get_by_role("main").get_by_role("alert")).to_contain_text("not valid")
    other.close()
    visitor.close()
