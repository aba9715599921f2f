"""`/home`: the signed-in user's start page. Generation is not built yet, and it says so."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.layout import page_frame, signed_in_only, user_avatar
from pixel_studio.state.auth import AuthState


def welcome() -> rx.Component:
    return rx.flex(
        rx.hstack(
            user_avatar("5"),
            rx.vstack(
                rx.text("Welcome back", size="2", color_scheme="gray"),
                rx.heading(
                    AuthState.username,
                    as_="h1",
                    size="7",
                    class_name="ps-username",
                    max_width="100%",
                ),
                spacing="0",
                min_width="0",
            ),
            spacing="4",
            align="center",
            min_width="0",
        ),
        rx.card(
            rx.hstack(
                rx.center(rx.icon("coins", size=20), class_name="ps-step"),
                rx.vstack(
                    rx.text("Credits", size="1", color_scheme="gray"),
                    rx.text(AuthState.credits, size="6", weight="bold"),
                    spacing="0",
                ),
                spacing="3",
                align="center",
            ),
            size="2",
            min_width="180px",
        ),
        justify="between",
        align={"initial": "start", "sm": "center"},
        direction={"initial": "column", "sm": "row"},
        spacing="5",
        padding_top="40px",
        width="100%",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(rx.icon("image", size=28), class_name="ps-step", width="56px", height="56px"),
            rx.heading("No images yet", as_="h2", size="5"),
            rx.text(
                "Your image sets will appear here. Creating them arrives with the generation "
                "pipeline: you will write a prompt, pick a model, and watch the set fill in live. "
                "It is not available yet.",
                color_scheme="gray",
                size="2",
                align="center",
                max_width="32em",
            ),
            rx.badge(rx.icon("clock", size=12), "Create: coming soon", variant="soft", size="2"),
            align="center",
            spacing="3",
            padding_y="40px",
        ),
        size="4",
        variant="surface",
        width="100%",
    )


def next_steps() -> rx.Component:
    return rx.grid(
        rx.card(
            rx.hstack(
                rx.center(
                    rx.icon("user-round-pen", size=18), class_name="ps-step", flex_shrink="0"
                ),
                rx.vstack(
                    rx.text("Make it yours", weight="bold"),
                    rx.text(
                        "Add an avatar and choose who sees your new images.",
                        size="2",
                        color_scheme="gray",
                    ),
                    rx.link("Open settings", href="/settings", size="2", weight="medium"),
                    spacing="1",
                ),
                spacing="3",
                align="start",
            ),
            size="2",
        ),
        rx.card(
            rx.hstack(
                rx.center(rx.icon("coins", size=18), class_name="ps-step", flex_shrink="0"),
                rx.vstack(
                    rx.text("Your credits", weight="bold"),
                    rx.text(
                        "You have ",
                        AuthState.credits,
                        " credits. Images cost credits once creating is available.",
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="1",
                ),
                spacing="3",
                align="start",
            ),
            size="2",
        ),
        columns={"initial": "1", "sm": "2"},
        spacing="4",
        width="100%",
    )


def home_page() -> rx.Component:
    return page_frame(
        signed_in_only(
            rx.vstack(welcome(), empty_state(), next_steps(), spacing="6", width="100%"),
        ),
    )
