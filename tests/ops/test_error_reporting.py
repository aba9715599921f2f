"""Browser and handler errors (issue 15, part 5): into the log on one bounded line, into Sentry
as their own issue, a friendly toast and a friendly page instead of Reflex's messages. The
real browser path: tests/e2e/test_errors_e2e.py."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from pixel_studio import error_reporting
from pixel_studio.components.error_page import BODY, TITLE, friendly_error_boundary
from pixel_studio.error_reporting import (
    FRIENDLY_ERROR,
    MAX_REPORT_CHARS,
    report_backend_error,
    report_browser_error,
)
from tests.ops.sentry_peer import sentry_receiver
from tests.workers.celery_harness import REPO


@pytest.fixture(autouse=True)
def fresh_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(error_reporting, "_budget", error_reporting._Budget(3, 60.0))


def browser_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == error_reporting.BROWSER_LOGGER]


def test_a_browser_error_is_one_bounded_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    report_browser_error(Exception("TypeError: x is undefined\n    at render (page.js:1:2)"))
    report_browser_error(Exception("E" * (MAX_REPORT_CHARS * 2)))
    first, second = browser_records(caplog)
    assert first.levelno == logging.ERROR
    message = first.getMessage()
    assert "\n" not in message and "TypeError: x is undefined\\n    at render" in message
    assert len(second.getMessage()) < MAX_REPORT_CHARS + 100


def test_a_flood_of_browser_errors_is_cut_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for i in range(10):
        report_browser_error(Exception(f"error {i}"))
    assert len(browser_records(caplog)) == 3
    warnings = [r for r in caplog.records if "dropping the rest" in r.getMessage()]
    assert len(warnings) == 1


def test_a_failing_handler_is_logged_with_its_traceback_and_a_friendly_toast(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    try:
        raise ValueError("internal detail 5521")
    except ValueError as exc:
        spec = report_backend_error(exc)
    (record,) = [r for r in caplog.records if r.name == "pixel_studio.error_reporting"]
    assert record.exc_info is not None and record.exc_info[1] is not None
    assert "internal detail 5521" in caplog.text  # the traceback, in the log only
    shown = json.dumps([str(v) for v in (spec.args if spec else ())])
    assert FRIENDLY_ERROR in shown and "5521" not in shown and "An error occurred" not in shown


def test_the_error_boundary_renders_the_friendly_page() -> None:
    rendered = str(friendly_error_boundary(True))
    assert TITLE in rendered and BODY in rendered
    assert "An error occurred" not in rendered and "Built with" not in rendered
    assert "handle_frontend_exception" in rendered  # still reported to the backend
    assert "handle_frontend_exception" not in str(friendly_error_boundary(False))


def test_sentry_gets_a_browser_error_as_its_own_issue() -> None:
    with sentry_receiver() as (dsn, bodies):
        script = (
            "import sentry_sdk\n"
            "from pixel_studio.logging_setup import configure_logging\n"
            "from pixel_studio.error_reporting import report_browser_error\n"
            "configure_logging('backend')\n"
            "report_browser_error(Exception('TypeError: probe 8812 is undefined\\n at x.js:1'))\n"
            "sentry_sdk.flush(5)\n"
        )
        env = {**os.environ, "SENTRY_DSN": dsn, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=env,
            timeout=60,
            check=False,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    events = [b for b in bodies if b"probe 8812" in b]
    # One event, titled by the error's first line and tagged; the log line itself is not a
    # second event (its logger is left to error_reporting).
    assert len(events) == 1
    assert b"Browser: TypeError: probe 8812 is undefined" in events[0]
    assert b'"source":"browser"' in events[0].replace(b" ", b"")
    assert "browser error: TypeError: probe 8812" in done.stderr  # and the backend log has it
