"""The phone and tablet menu: below 768 px the nav's links and the user menu move into this
drawer behind a menu button (components/layout.py puts it in the bar)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import Var

from pixel_studio.components.nav import (
    color_mode_toggle,
    credits_badge,
    plugin_nav,
    user_avatar,
)
from pixel_studio.state.auth import AuthState


def drawer_link(label: str, href: str | Var[str], icon: str) -> rx.Component:
    return rx.drawer.close(
        rx.link(
            rx.hstack(
                rx.icon(icon, size=18), rx.text(label, size="3"), spacing="3", align="center"
            ),
            href=href,
            color_scheme="gray",
            high_contrast=True,
            underline="none",
            padding_y="10px",
        ),
    )


def mobile_drawer() -> rx.Component:
    signed_in_items = rx.vstack(
        rx.hstack(
            user_avatar("3"),
            rx.vstack(
                rx.text(AuthState.username, weight="bold"),
                credits_badge(),
                spacing="1",
            ),
            spacing="3",
            align="center",
        ),
        rx.separator(),
        drawer_link("Home", "/home", "home"),
        drawer_link("Explore", "/explore", "compass"),
        drawer_link("Feed", "/feed", "rss"),
        drawer_link("Your profile", "/u/" + AuthState.username, "user"),
        drawer_link("Create", "/create", "sparkles"),
        drawer_link("Compare", "/compare", "columns-3"),
        drawer_link("Sets", "/sets", "images"),
        drawer_link("Collections", "/collections", "folder"),
        drawer_link("Likes", "/likes", "heart"),
        drawer_link("Settings", "/settings", "settings"),
        *(drawer_link(e.label, e.href, e.icon) for e in plugin_nav(signed_in=True)),
        rx.cond(AuthState.is_admin, drawer_link("Admin", "/admin", "shield")),
        rx.separator(),
        rx.button(
            rx.icon("log-out", size=16),
            "Log out",
            variant="soft",
            color_scheme="red",
            width="100%",
            on_click=AuthState.log_out,
        ),
        spacing="2",
        width="100%",
    )
    visitor_items = rx.vstack(
        drawer_link("Explore", "/explore", "compass"),
        *(drawer_link(e.label, e.href, e.icon) for e in plugin_nav(signed_in=False)),
        drawer_link("Log in", "/login", "log-in"),
        drawer_link("Sign up", "/signup", "user-plus"),
        spacing="2",
        width="100%",
    )
    return rx.drawer.root(
        rx.drawer.trigger(
            rx.icon_button(
                rx.icon("menu", size=22),
                variant="ghost",
                color_scheme="gray",
                size="2",
                aria_label="Open menu",
            ),
        ),
        rx.drawer.overlay(class_name="ps-overlay"),
        rx.drawer.portal(
            rx.drawer.content(
                rx.vstack(
                    rx.hstack(
                        rx.drawer.title("Menu", size="4"),
                        rx.drawer.close(
                            rx.icon_button(
                                rx.icon("x", size=18),
                                variant="ghost",
                                color_scheme="gray",
                                aria_label="Close menu",
                            ),
                        ),
                        justify="between",
                        align="center",
                        width="100%",
                    ),
                    rx.cond(AuthState.signed_in, signed_in_items, visitor_items),
                    rx.spacer(),
                    rx.hstack(
                        rx.text("Appearance", size="2", color_scheme="gray"),
                        color_mode_toggle(),
                        justify="between",
                        align="center",
                        width="100%",
                    ),
                    height="100%",
                    width="100%",
                    spacing="4",
                ),
                class_name="ps-drawer",
                top="0",
                right="0",
                left="auto",
                height="100%",
                width="min(320px, 85vw)",
                padding="20px",
                z_index="50",
            ),
        ),
        direction="right",
    )
