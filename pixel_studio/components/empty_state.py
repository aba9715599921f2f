"""Small pieces the social pages share: a "private" badge and an empty state card."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.nav import link_button


def private_badge() -> rx.Component:
    return rx.badge(rx.icon("lock", size=12), "Private", variant="soft", radius="full")


def empty(icon: str, title: str, text: str, action: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(rx.icon(icon, size=28), class_name="ps-step", width="56px", height="56px"),
            rx.heading(title, as_="h2", size="5"),
            rx.text(text, color_scheme="gray", size="2", align="center"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="3",
            padding_y="48px",
        ),
        size="4",
        variant="surface",
        width="100%",
    )


def not_found_view(title: str, back_label: str, back_href: str) -> rx.Component:
    """A detail page's answer for an item that does not exist or that the viewer may not see
    (the same words either way: a private item is not told apart from a missing one)."""
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon("search-x", size=28), class_name="ps-step", width="56px", height="56px"
            ),
            rx.heading(title, as_="h1", size="6"),
            rx.text("It does not exist, was deleted, or is private.", color_scheme="gray"),
            link_button(back_label, back_href, variant="soft"),
            align="center",
            spacing="3",
        ),
        padding_y="96px",
    )
