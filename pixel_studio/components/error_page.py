"""The page a visitor sees when the page itself crashes (a render error), instead of Reflex's
"An error occurred while rendering this page." with a stack trace (issue 15, part 5).

It replaces Reflex's error boundary (the app wrap `(55, "ErrorBoundary")`) by the same
component with our fallback: the boundary still reports the error to the backend (its
`on_error`, Reflex's default, ends in error_reporting.report_browser_error). Plain elements
with inline styles: the fallback must render even when the theme or a library is what broke.
No error text is shown: a stack trace helps nobody reading it here, and it is in the log.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.base.error_boundary import ErrorBoundary

ERROR_PAGE_ID = "error-page"
TITLE = "Something went wrong on this page"
BODY = (
    "The problem was reported to us. Your images, sets and credits are safe. "
    "Reloading the page usually helps."
)

_BUTTON = {
    "padding": "0.5rem 1.25rem",
    "border_radius": "0.5rem",
    "font_weight": "600",
    "cursor": "pointer",
    "text_decoration": "none",
}


def error_page() -> rx.Component:
    return rx.el.main(
        rx.el.div(
            rx.el.h1(TITLE, style={"font_size": "1.5rem", "margin": "0"}),
            rx.el.p(BODY, style={"margin": "0", "line_height": "1.5"}),
            rx.el.div(
                rx.el.button(
                    "Reload the page",
                    type="button",
                    on_click=rx.call_script("window.location.reload()"),
                    style={**_BUTTON, "background": "#6e56cf", "color": "#fff", "border": "0"},
                ),
                rx.el.a(
                    "Go to the home page",
                    href="/",
                    # A document load: the boundary stays caught on a client-side navigation.
                    reload_document=True,
                    style={**_BUTTON, "color": "#6e56cf", "border": "1px solid #6e56cf"},
                ),
                style={"display": "flex", "gap": "0.75rem", "flex_wrap": "wrap"},
            ),
            style={
                "display": "flex",
                "flex_direction": "column",
                "gap": "1rem",
                "max_width": "32rem",
                "padding": "2rem",
            },
        ),
        id=ERROR_PAGE_ID,
        role="alert",
        style={
            "min_height": "100vh",
            "display": "flex",
            "align_items": "center",
            "justify_content": "center",
            "background": "#fff",
            "color": "#1a1523",
            "font_family": "system-ui, sans-serif",
        },
    )


def friendly_error_boundary(stateful: bool) -> rx.Component:
    """The app wrap: Reflex's boundary with our fallback. Without state there is no backend to
    report to (Reflex's own wrap then passes a no-op `on_error` as well)."""
    props = {} if stateful else {"on_error": rx.noop()}
    return ErrorBoundary.create(fallback_render=error_page(), **props)
