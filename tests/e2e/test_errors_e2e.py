"""Errors raised in the browser reach the backend log, and a page that crashes while rendering
shows the friendly page (issue 15, part 5), against `reflex run --env prod`.

The app server writes its output to <data_dir>/reflex.log (tests/e2e/conftest.py); the lines
are searched there, as an operator would grep them."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pixel_studio.components.error_page import ERROR_PAGE_ID, TITLE
from tests.e2e.conftest import AppServer

pytestmark = pytest.mark.e2e

# Reflex installs window.onerror in an effect: once it is set, the page is hydrated and a
# thrown error is reported over the socket.
HYDRATED = "() => typeof window.onerror === 'function'"

# A render error on demand, without a test route in the app: once armed, creating any <input>
# element fails inside React's render of the next page, every time (React retries a failed
# concurrent render once; the retry must fail too). The friendly page has no input.
ARM_RENDER_ERROR = """
(marker) => {
  const original = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this.tagName === "INPUT" && !this.isConnected) {
      throw new Error(marker);
    }
    return original.call(this, name, value);
  };
}
"""


def log_path(server: AppServer) -> Path:
    assert server.profile is not None
    return server.root / server.profile / "reflex.log"


def wait_for_log(server: AppServer, needle: str, timeout: float = 30.0) -> list[str]:
    """The log lines holding `needle`, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_path(server).read_text(errors="replace")
        found = [line for line in text.splitlines() if needle in line]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def test_an_error_thrown_in_the_browser_is_in_the_backend_log(
    page: Page, app_server: AppServer
) -> None:
    marker = f"e2e-thrown-{uuid.uuid4().hex[:10]}"
    page.goto("/explore")
    page.wait_for_function(HYDRATED, timeout=30_000)
    page.evaluate("(m) => setTimeout(() => { throw new Error(m); }, 0)", marker)
    lines = wait_for_log(app_server, marker)
    assert lines, f"{marker} never reached {log_path(app_server)}"
    assert any(f"browser error: Error: {marker}" in line for line in lines), lines
    # The report is a socket event: it has its own access-log line.
    handler = "frontend_event_exception_state.handle_frontend_exception"
    assert wait_for_log(app_server, f"event {handler} /explore ok")
    # An HTTP request has one too, with its route template.
    assert wait_for_log(app_server, "http GET /healthz 200")


def test_a_page_that_crashes_shows_the_friendly_page(page: Page, app_server: AppServer) -> None:
    marker = f"e2e-render-{uuid.uuid4().hex[:10]}"
    page.goto("/explore")
    page.wait_for_function(HYDRATED, timeout=30_000)
    page.evaluate(ARM_RENDER_ERROR, marker)
    page.get_by_role("link", name="Log in").first.click()  # a client-side navigation
    friendly = page.locator(f"#{ERROR_PAGE_ID}")
    expect(friendly).to_be_visible(timeout=20_000)
    expect(friendly.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("An error occurred")).to_have_count(0)
    expect(page.get_by_text(marker)).to_have_count(0)  # no error text for the visitor
    # The boundary reported it: the render error is in the backend log.
    assert wait_for_log(app_server, f"browser error: Error: {marker}")
    # Its way out works: the home link loads the home page afresh.
    friendly.get_by_role("link", name="Go to the home page").click()
    expect(page.locator(f"#{ERROR_PAGE_ID}")).to_have_count(0)
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
