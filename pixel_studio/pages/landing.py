"""`/`: what Pixel Studio is, for visitors. Signed-in people are sent to their home."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.layout import page_frame
from pixel_studio.components.nav import link_button
from pixel_studio.settings import get_settings

# Decorative swatches with example prompts: they show the idea, they are not generated images.
TILES = [
    (
        "A lighthouse in a storm, oil painting",
        "linear-gradient(160deg,#1e3a8a,#0ea5e9 55%,#fde68a)",
    ),
    ("Neon koi pond at night", "linear-gradient(140deg,#581c87,#db2777 50%,#f59e0b)"),
    ("Misty pine forest at dawn", "linear-gradient(170deg,#064e3b,#10b981 50%,#d1fae5)"),
    ("Desert dunes under two moons", "linear-gradient(150deg,#7c2d12,#f97316 50%,#fef3c7)"),
    ("Paper-cut city skyline", "linear-gradient(135deg,#312e81,#8b5cf6 55%,#fbcfe8)"),
    ("Glass jellyfish, studio light", "linear-gradient(160deg,#0f172a,#06b6d4 50%,#a5f3fc)"),
]

STEPS = [
    (
        "pen-line",
        "Write a prompt",
        "Describe what you want, pick a model and its settings: size, count, style.",
    ),
    (
        "layers",
        "Get a set, live",
        "Your request joins a queue; images fill in on the page as each one is ready. "
        "No spinner you have to babysit.",
    ),
    (
        "heart",
        "Share and collect",
        "Keep images private or public, remix any image you can see. The explore feed, "
        "likes, comments and collections are on the way.",
    ),
]


def features() -> list[tuple[str, str, str]]:
    bonus = get_settings().signup_bonus_credits
    return [
        (
            "coins",
            f"{bonus} free credits",
            "Every account starts with them; each model shows its price.",
        ),
        ("shield-check", "Private by choice", "Set whether new images are public or private."),
        ("server", "Runs anywhere", "One command runs the whole studio on your own machine."),
    ]


def hero() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.badge(
                rx.icon("sparkles", size=12),
                "AI image studio",
                variant="surface",
                radius="full",
                size="2",
            ),
            rx.heading(
                "Turn prompts into ",
                rx.el.span("image sets", class_name="ps-gradient-text"),
                as_="h1",
                size={"initial": "8", "sm": "9"},
                weight="bold",
                line_height="1.05",
            ),
            rx.text(
                "Pixel Studio is a web studio for making images with AI models and sharing "
                "them. Write a prompt, choose a model, and watch a whole set of images arrive "
                "while you keep working.",
                size={"initial": "3", "sm": "4"},
                color_scheme="gray",
                max_width="34em",
            ),
            rx.flex(
                link_button("Get started free", "/signup", size="4"),
                link_button("Log in", "/login", size="4", variant="outline"),
                spacing="3",
                wrap="wrap",
            ),
            rx.text(
                f"No card needed: {get_settings().signup_bonus_credits} credits on sign-up.",
                size="2",
                color_scheme="gray",
            ),
            spacing="5",
            align="start",
            flex="1",
            min_width="0",
        ),
        tile_grid(),
        direction={"initial": "column", "md": "row"},
        spacing={"initial": "8", "md": "9"},
        align="center",
        padding_top=rx.breakpoints(initial="40px", sm="72px"),
        padding_bottom=rx.breakpoints(initial="32px", sm="56px"),
        class_name="ps-hero",
    )


def tile(prompt: str, gradient: str) -> rx.Component:
    return rx.box(
        rx.el.span(prompt, class_name="ps-tile-caption"),
        class_name="ps-tile",
        background=gradient,
        role="img",
        aria_label=f"Illustration for the prompt: {prompt}",
    )


def tile_grid() -> rx.Component:
    return rx.grid(
        *[tile(prompt, gradient) for prompt, gradient in TILES],
        columns="3",
        spacing="3",
        width=rx.breakpoints(initial="100%", md="440px"),
        flex_shrink="0",
    )


def step(number: int, icon: str, title: str, body: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(rx.icon(icon, size=18), class_name="ps-step"),
                rx.text(f"Step {number}", size="1", color_scheme="gray", weight="medium"),
                align="center",
                spacing="3",
            ),
            rx.heading(title, as_="h3", size="4"),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="3",
        ),
        size="3",
        variant="surface",
    )


def feature(icon: str, title: str, body: str) -> rx.Component:
    return rx.hstack(
        rx.center(rx.icon(icon, size=18), class_name="ps-step", flex_shrink="0"),
        rx.vstack(
            rx.text(title, weight="bold", size="3"),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="1",
        ),
        align="start",
        spacing="3",
    )


def landing() -> rx.Component:
    return page_frame(
        hero(),
        rx.vstack(
            rx.heading("How it works", as_="h2", size="6"),
            rx.grid(
                *[step(i + 1, *s) for i, s in enumerate(STEPS)],
                columns={"initial": "1", "sm": "3"},
                spacing="4",
                width="100%",
            ),
            spacing="5",
            padding_y="24px",
        ),
        rx.grid(
            *[feature(*f) for f in features()],
            columns={"initial": "1", "sm": "3"},
            spacing="6",
            padding_y="40px",
        ),
        rx.card(
            rx.flex(
                rx.vstack(
                    rx.heading("Ready to make something?", as_="h2", size="6"),
                    rx.text(
                        "Create an account in a few seconds and start with "
                        f"{get_settings().signup_bonus_credits} credits.",
                        color_scheme="gray",
                    ),
                    spacing="2",
                ),
                link_button("Create your account", "/signup", size="3"),
                direction={"initial": "column", "sm": "row"},
                justify="between",
                align={"initial": "start", "sm": "center"},
                spacing="4",
            ),
            size="4",
            variant="classic",
            margin_top="16px",
        ),
    )
