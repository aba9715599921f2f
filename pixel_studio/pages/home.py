"""`/home`: the signed-in user's start page: balance, and the way to create and to past sets."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.nav import user_avatar
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
            rx.heading("Make your next image set", as_="h2", size="5"),
            rx.text(
                "Write a prompt, pick a model, and watch the set fill in live. The local sketch "
                "model works offline and costs 1 credit an image.",
                color_scheme="gray",
                size="2",
                align="center",
                max_width="32em",
            ),
            rx.hstack(
                rx.link(rx.button(rx.icon("sparkles", size=16), "Create images"), href="/create"),
                rx.link(rx.button("Your sets", variant="soft"), href="/sets"),
                spacing="3",
                wrap="wrap",
                justify="center",
            ),
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
                        " credits. Each image costs its model's price, shown before you generate.",
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
