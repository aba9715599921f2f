"""The app shell: top navigation, footer, and the page frame every page is rendered in
(the bar's pieces: components/nav.py, the phone menu: components/nav_drawer.py).

At 768 px and wider the nav shows its links and the user menu; below that they move into a
drawer behind a menu button, and the credits badge stays in the bar. Nothing in the bar has a
fixed width, so a 375 px phone never scrolls sideways.
"""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.nav import bell, brand, credits_badge, desktop_actions
from pixel_studio.components.nav_drawer import mobile_drawer
from pixel_studio.state.auth import AuthState

NAV_HEIGHT = "64px"
MAX_WIDTH = "1120px"


def navbar() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            brand(),
            rx.spacer(),
            desktop_actions(),
            rx.mobile_and_tablet(
                rx.hstack(
                    rx.cond(AuthState.signed_in, rx.fragment(bell(), credits_badge())),
                    mobile_drawer(),
                    spacing="3",
                    align="center",
                ),
            ),
            align="center",
            height=NAV_HEIGHT,
            max_width=MAX_WIDTH,
            margin_x="auto",
            padding_x="20px",
            width="100%",
        ),
        class_name="ps-nav",
        role="banner",
        aria_label="Main navigation",
    )


def footer_link(label: str, href: str) -> rx.Component:
    return rx.link(label, href=href, size="2", color_scheme="gray", underline="hover")


def footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.hstack(
                rx.icon("sparkles", size=14),
                rx.text("Pixel Studio", size="2", weight="medium"),
                rx.text("· prompts in, image sets out", size="2", color_scheme="gray"),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.hstack(
                rx.cond(
                    AuthState.signed_in,
                    rx.hstack(
                        footer_link("Home", "/home"),
                        footer_link("Settings", "/settings"),
                        spacing="4",
                    ),
                    rx.hstack(
                        footer_link("Log in", "/login"),
                        footer_link("Sign up", "/signup"),
                        spacing="4",
                    ),
                ),
                rx.link("API", href="/api/docs", size="2", color_scheme="gray", is_external=True),
                spacing="4",
            ),
            justify="between",
            align="center",
            direction={"initial": "column", "sm": "row"},
            spacing="3",
            max_width=MAX_WIDTH,
            margin_x="auto",
            padding="24px 20px",
            width="100%",
        ),
        class_name="ps-footer",
    )


def skip_link() -> rx.Component:
    return rx.el.a("Skip to content", href="#main", class_name="ps-skip")


def page_frame(*children: rx.Component, wide: bool = False) -> rx.Component:
    """Nav, the page's content in a centred column, footer."""
    return rx.box(
        skip_link(),
        navbar(),
        rx.el.main(
            *children,
            id="main",
            tab_index=-1,
            class_name="ps-main",
            max_width="100%" if wide else MAX_WIDTH,
            margin_x="auto",
            padding_x="0" if wide else "20px",
            width="100%",
            flex="1",
        ),
        footer(),
        display="flex",
        flex_direction="column",
        min_height="100vh",
    )


def signed_in_only(*children: rx.Component) -> rx.Component:
    """Content that must not flash for a visitor while `require_user` redirects them. The
    placeholder is a screen tall: the footer starts below the fold, where the page will push it,
    instead of jumping away when the content comes (CLS 0.14 on a phone's /create)."""
    return rx.cond(
        AuthState.signed_in,
        rx.fragment(*children),
        rx.center(
            rx.spinner(size="3"), padding_y="120px", min_height="100vh", aria_label="Loading"
        ),
    )
