"""The top bar's pieces: brand, colour-mode toggle, credits badge, notification bell, avatar,
links and the signed-in user's menu (components/layout.py assembles them into the bar)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pixel_studio.plugins.api import NavEntry
from pixel_studio.plugins.discovery import page_plugins
from pixel_studio.state.auth import AuthState
from pixel_studio.state.notifications import BellState


def brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("sparkles", size=18, color="white"),
                class_name="ps-logo",
                width="32px",
                height="32px",
                border_radius="10px",
            ),
            rx.text("Pixel Studio", size="4", weight="bold", high_contrast=True),
            align="center",
            spacing="2",
        ),
        href=rx.cond(AuthState.signed_in, "/home", "/"),
        underline="none",
        aria_label="Pixel Studio home",
    )


def color_mode_toggle() -> rx.Component:
    # Reflex keeps the choice in localStorage ("theme"), so it survives reloads.
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        color_scheme="gray",
        size="2",
        aria_label="Toggle dark mode",
        title="Toggle dark mode",
    )


def credits_badge() -> rx.Component:
    """The balance (kept live: state/live.py); opens /credits to see the history or buy."""
    return rx.link(
        rx.badge(
            rx.icon("coins", size=14),
            rx.text(AuthState.credits, " credits", as_="span"),
            size="2",
            variant="soft",
            radius="full",
            class_name="ps-credits",
        ),
        href="/credits",
        underline="none",
        title="Your credit balance: buy more or see your history",
        custom_attrs={"data-testid": "credits-badge"},
    )


def bell() -> rx.Component:
    """Notifications, with the unread count (kept live: state/live.py); a polite live region
    beside the link tells screen-reader users when the count changes."""
    return rx.fragment(_bell_link(), _bell_status())


def _bell_status() -> rx.Component:
    return rx.el.span(
        BellState.label,
        role="status",
        aria_live="polite",
        aria_atomic="true",
        class_name="ps-sr-only",
        custom_attrs={"data-testid": "bell-status"},
    )


def _bell_link() -> rx.Component:
    return rx.link(
        rx.box(
            rx.icon("bell", size=20, aria_hidden="true"),
            rx.cond(
                BellState.unread > 0,
                rx.badge(
                    BellState.badge,
                    variant="solid",
                    color_scheme="red",
                    high_contrast=True,  # white on solid red is under 4.5:1
                    radius="full",
                    size="1",
                    position="absolute",
                    top="-8px",
                    right="-12px",
                    custom_attrs={"data-testid": "bell-count"},
                ),
            ),
            position="relative",
            display="inline-flex",
        ),
        href="/notifications",
        color_scheme="gray",
        high_contrast=True,
        aria_label=BellState.label,
        title=BellState.label,
        padding="6px",
        custom_attrs={"data-testid": "bell"},
    )


def user_avatar(size: str = "2", *, decorative: bool = False) -> rx.Component:
    """`decorative`: beside the username, so hidden from assistive tech (else a button reads
    its initials before the name: "AD ada")."""
    return rx.avatar(
        src=AuthState.avatar_url,
        fallback=AuthState.initials,
        size=size,  # type: ignore[arg-type]
        radius="full",
        # Not a declared prop, so pass it as an attribute: Radix hands it to the <img>.
        custom_attrs={"alt": "" if decorative else AuthState.username},
        aria_hidden="true" if decorative else None,
    )


def nav_link(label: str, href: str) -> rx.Component:
    return rx.link(
        label,
        href=href,
        size="2",
        weight="medium",
        color_scheme="gray",
        high_contrast=True,
        underline="hover",
    )


def link_button(label: str, href: str, size: str = "2", **props: Any) -> rx.Component:
    """A link that looks like a button: it navigates, so it is a link for assistive tech."""
    return rx.button(
        rx.link(label, href=href, underline="none"),
        as_child=True,
        size=size,  # type: ignore[arg-type]
        **props,
    )


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                user_avatar("1", decorative=True),
                rx.text(AuthState.username, as_="span", class_name="ps-username"),
                rx.icon("chevron-down", size=14),
                variant="ghost",
                color_scheme="gray",
                size="2",
            ),
        ),
        rx.menu.content(
            rx.menu.item(rx.icon("home", size=14), "Home", on_click=rx.redirect("/home")),
            rx.menu.item(
                rx.icon("user", size=14),
                "Your profile",
                on_click=rx.redirect("/u/" + AuthState.username),
            ),
            rx.menu.item(
                rx.icon("folder", size=14), "Collections", on_click=rx.redirect("/collections")
            ),
            rx.menu.item(rx.icon("heart", size=14), "Likes", on_click=rx.redirect("/likes")),
            rx.menu.item(
                rx.icon("settings", size=14), "Settings", on_click=rx.redirect("/settings")
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("log-out", size=14),
                "Log out",
                color_scheme="red",  # the theme's red text passes 4.5:1; pure red did not
                on_click=AuthState.log_out,
            ),
            align="end",
        ),
        # Not modal: a modal menu hides the page with aria-hidden while its links stay
        # focusable (axe: aria-hidden-focus); Escape and Tab still close it.
        modal=False,
    )


def plugin_nav(*, signed_in: bool) -> list[NavEntry]:
    """Page plugins' links (pixel_studio/plugins) for signed-in people or for visitors."""
    entries = [p.nav for _name, p in page_plugins() if p.nav is not None]
    return [e for e in entries if signed_in or not e.signed_in_only]


def desktop_actions() -> rx.Component:
    return rx.desktop_only(
        rx.hstack(
            rx.cond(
                AuthState.signed_in,
                rx.hstack(
                    nav_link("Home", "/home"),
                    nav_link("Explore", "/explore"),
                    nav_link("Feed", "/feed"),
                    nav_link("Create", "/create"),
                    nav_link("Compare", "/compare"),
                    nav_link("Sets", "/sets"),
                    nav_link("Settings", "/settings"),
                    *(nav_link(e.label, e.href) for e in plugin_nav(signed_in=True)),
                    rx.cond(AuthState.is_admin, nav_link("Admin", "/admin")),  # admins only
                    bell(),
                    credits_badge(),
                    user_menu(),
                    spacing="5",
                    align="center",
                ),
                rx.hstack(
                    nav_link("Explore", "/explore"),
                    *(nav_link(e.label, e.href) for e in plugin_nav(signed_in=False)),
                    link_button("Log in", "/login", variant="ghost"),
                    link_button("Sign up", "/signup"),
                    spacing="3",
                    align="center",
                ),
            ),
            color_mode_toggle(),
            spacing="4",
            align="center",
        ),
    )
