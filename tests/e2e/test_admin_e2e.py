"""Moderation in a real browser: a user reports an image from its page, an admin (made with
`pixel-studio create-user --admin`) finds it in the reports queue, removes it with a reason,
and reads the action in the audit log; the image is gone for everyone. A non-admin gets the
not-found view at /admin."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import AppServer, _app_env
from tests.e2e.test_accounts_e2e import DESKTOP, PASSWORD, log_in, sign_up_by_api
from tests.e2e.test_accounts_e2e import unique_name as unique
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT

pytestmark = pytest.mark.e2e

PROMPT = "a lighthouse made of marzipan"
REASON = "not what this site is for"


def _make_admin(app_server: AppServer, username: str) -> None:
    """The CLI, on the running server's own database (its DATA_DIR)."""
    data_dir = app_server.root / str(app_server.profile)
    env = _app_env(data_dir, app_server.port)
    cli = str(Path(sys.executable).parent / "pixel-studio")
    args = [cli, "create-user", username, f"{username}@example.com", "--password", PASSWORD]
    subprocess.run([*args, "--admin"], env=env, check=True, capture_output=True, timeout=120)


def test_report_then_admin_removes_with_an_audit_row(
    browser: Browser, base_url: str, app_server: AppServer
) -> None:
    owner = browser.new_context(base_url=base_url, viewport=DESKTOP).new_page()
    sign_up_by_api(owner, unique("own"))
    owner.goto("/create")
    owner.get_by_label("Prompt").fill(PROMPT)
    owner.get_by_role("button", name="Generate").click()
    card = owner.get_by_test_id("job-card").filter(has_text=PROMPT)
    expect(card.get_by_role("progressbar")).to_have_attribute(
        "aria-label", "Progress: Done", timeout=LIVE_TIMEOUT
    )
    card.get_by_role("link", name="Open set").click()
    owner.get_by_title("Open the image page").first.click()
    expect(owner).to_have_url(re.compile(r"/image/\d+/?$"))
    image_path = re.sub(r"^https?://[^/]+", "", owner.url).rstrip("/")

    # Another user reports it from the image page.
    reporter = browser.new_context(base_url=base_url, viewport=DESKTOP).new_page()
    sign_up_by_api(reporter, unique("rep"))
    reporter.goto(image_path)
    expect(reporter.get_by_role("heading", level=1)).to_have_text(PROMPT)
    reporter.get_by_role("button", name="Report").first.click()
    dialog = reporter.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("spam in my explore feed")
    dialog.get_by_role("button", name="Send report").click()
    expect(reporter.get_by_text("Thanks: the admins will look at it.")).to_be_visible()
    # A non-admin at /admin: the not-found view, not a "forbidden".
    reporter.goto("/admin/reports")
    expect(reporter.get_by_role("heading", name="This page does not exist")).to_be_visible()

    # The admin: the queue, the removal, the audit row.
    admin_name = unique("adm")
    _make_admin(app_server, admin_name)
    admin = browser.new_context(base_url=base_url, viewport=DESKTOP).new_page()
    admin.goto("/login")
    log_in(admin, admin_name, PASSWORD)
    expect(admin).to_have_url(re.compile(r"/home/?$"))
    admin.goto("/admin/reports")
    row = admin.locator(".report-row").filter(has_text=PROMPT)
    expect(row).to_contain_text("spam in my explore feed")
    row.get_by_label("Decision").select_option("resolve")
    row.get_by_placeholder("Reason (kept in the audit log)").fill(REASON)
    row.get_by_role("button", name="Apply").click()
    expect(admin.get_by_text("Removed, and the report closed.")).to_be_visible()
    expect(admin.locator(".report-row").filter(has_text=PROMPT)).to_have_count(0)
    admin.goto("/admin/audit")
    audit = admin.locator(".audit-row").filter(has_text="report.resolve")
    expect(audit.first).to_contain_text(REASON)
    expect(audit.first).to_contain_text(admin_name)

    # Gone for everyone, its owner included.
    owner.goto(image_path)
    expect(owner.get_by_role("heading", name="Image not found")).to_be_visible()
