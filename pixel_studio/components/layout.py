"""The app shell: top navigation, footer, and the page frame every page is rendered in.

At 768 px and wider the nav shows its links and the user menu; below that they move into a
drawer behind a menu button, and the credits badge stays in the bar. Nothing in the bar has a
fixed width, so a 375 px phone never scrolls sideways.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

from pixel_studio.plugins.api import NavEntry
from pixel_studio.plugins.discovery import page_plugins
from pixel_studio.state.auth import AuthState
from pixel_studio.state.notifications import BellState

NAV_HEIGHT = "64px"
MAX_WIDTH = "1120px"


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
    """Content that must not flash for a visitor while `require_user` redirects them."""
    return rx.cond(
        AuthState.signed_in,
        rx.fragment(*children),
        rx.center(rx.spinner(size="3"), padding_y="120px", aria_label="Loading"),
    )
