"""Where errors go: the browser's into the backend log and Sentry, the backend's to the log and
Sentry with a friendly toast instead of Reflex's "An error occurred." (issue 15, part 5).

Reflex calls `report_browser_error` for every error the page reports: an uncaught error or
rejected promise (window.onerror), a render error its error boundary caught (the friendly page:
components/error_page.py) and a state update it could not apply. The report is the browser's
own text, so it is treated as untrusted: cut to a bounded length, kept on one log line (a
newline in it cannot forge another line), and rate-limited per process (a page in a loop, or a
script, must not flood the log or the Sentry quota).

This module deliberately has no `from __future__ import annotations`: Reflex checks the two
handlers' annotations as real types when the app starts.
"""

import logging
import sys
import threading
import time

import reflex as rx
from reflex_base.event import EventSpec

# Its own logger, so Sentry's logging integration can leave it to `_to_sentry` (one issue per
# kind of browser error instead of one issue for every "browser error: %s" line).
BROWSER_LOGGER = "pixel_studio.browser"
browser_log = logging.getLogger(BROWSER_LOGGER)
log = logging.getLogger(__name__)

MAX_REPORT_CHARS = 4000
REPORTS_PER_WINDOW = 60
WINDOW_SECONDS = 60.0

FRIENDLY_ERROR = "Something went wrong on our side."
FRIENDLY_DETAIL = "It was reported to us. Please try again; if it keeps happening, reload the page."


class _Budget:
    """At most `limit` reports per window in this process; the first refused one is logged."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.start, self.count = time.monotonic(), 0
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.start > self.window:
                self.start, self.count = now, 0
            self.count += 1
            if self.count == self.limit + 1:
                log.warning(
                    "more than %d browser errors in %.0f s: dropping the rest of them",
                    self.limit,
                    self.window,
                )
            return self.count <= self.limit


_budget = _Budget(REPORTS_PER_WINDOW, WINDOW_SECONDS)


def one_line(text: str) -> str:
    """The report cut to size, with line breaks and other control characters escaped."""
    text = text[:MAX_REPORT_CHARS]
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def report_browser_error(exception: Exception) -> None:
    """Reflex's `frontend_exception_handler`."""
    if not _budget.take():
        return
    text = str(exception)
    browser_log.error("browser error: %s", one_line(text), extra={"source": "browser"})
    _to_sentry(text)


def _to_sentry(text: str) -> None:
    # Imported only where logging_setup started Sentry (SENTRY_DSN); else nothing to do.
    if "sentry_sdk" not in sys.modules:
        return
    import sentry_sdk

    if not sentry_sdk.get_client().is_active():
        return
    first = text.strip().splitlines()[0][:200] if text.strip() else "browser error"
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("source", "browser")
        scope.set_context("browser_error", {"report": text[:MAX_REPORT_CHARS]})
        sentry_sdk.capture_message(f"Browser: {first}", level="error")


def report_backend_error(exception: Exception) -> EventSpec | None:
    """Reflex's `backend_exception_handler`: an event handler raised. The traceback goes to the
    log (and from there to Sentry); the person sees that it was not their fault, and nothing of
    the exception itself."""
    log.error(
        "event handler failed: %s",
        type(exception).__name__,
        exc_info=(type(exception), exception, exception.__traceback__),
    )
    return rx.toast.error(
        FRIENDLY_ERROR,
        description=FRIENDLY_DETAIL,
        id="backend_error",  # one toast, however many events fail in a row
        position="top-center",
    )
