"""The 404 page, registered on Reflex's 404 route: every unknown path renders it."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.layout import page_frame
from pixel_studio.state.auth import AuthState


def not_found_page() -> rx.Component:
    return page_frame(not_found_view())


def not_found_view() -> rx.Component:
    """The 404 page's body: also what admin pages show to everyone who is not an admin."""
    return rx.center(
        rx.vstack(
            rx.text("404", size="9", weight="bold", class_name="ps-gradient-text"),
            rx.heading("This page does not exist", as_="h1", size="6"),
            rx.text(
                "The link may be old, or the address mistyped.",
                color_scheme="gray",
                align="center",
            ),
            rx.button(
                rx.link(
                    rx.cond(AuthState.signed_in, "Back to your home", "Back to the start"),
                    href=rx.cond(AuthState.signed_in, "/home", "/"),
                    underline="none",
                ),
                size="3",
                as_child=True,
            ),
            align="center",
            spacing="4",
        ),
        padding_y="120px",
    )
