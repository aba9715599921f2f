"""`/signup` and `/login`: the account forms. Enter submits; errors show at their field."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pixel_studio.components.forms import field, form_message, submit_button
from pixel_studio.components.layout import page_frame
from pixel_studio.settings import get_settings
from pixel_studio.state.account import LogInState, SignUpState

GOOGLE_LOGIN_URL = "/auth/google/login"


def google_button() -> rx.Component:
    """Shown only when Google sign-in is configured (decided when the app is compiled)."""
    if not get_settings().google_enabled:
        return rx.fragment()
    return rx.vstack(
        rx.hstack(
            rx.separator(size="4"),
            rx.text("or", size="1", color_scheme="gray"),
            rx.separator(size="4"),
            align="center",
            width="100%",
        ),
        # A plain <a>: the OAuth route lives on the backend, not in the page router.
        rx.button(
            rx.el.a(rx.icon("chrome", size=16), "Continue with Google", href=GOOGLE_LOGIN_URL),
            as_child=True,
            variant="outline",
            color_scheme="gray",
            size="3",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def auth_card(title: str, subtitle: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(
                rx.vstack(
                    rx.heading(title, as_="h1", size={"initial": "6", "sm": "7"}),
                    rx.text(subtitle, color_scheme="gray", size="2"),
                    spacing="1",
                ),
                *children,
                spacing="5",
                width="100%",
            ),
            size={"initial": "3", "sm": "4"},
            width="100%",
            max_width="420px",
        ),
        padding_top=rx.breakpoints(initial="32px", sm="64px"),
        padding_bottom=rx.breakpoints(initial="32px", sm="64px"),
        class_name="ps-auth-bg",
    )


def auth_form(*children: rx.Component, on_submit: Any) -> rx.Component:
    """The fields and the submit button, stacked; Enter submits, errors come from the server."""
    return rx.form(
        rx.vstack(*children, spacing="4", width="100%"),
        on_submit=on_submit,
        no_validate=True,
        width="100%",
    )


def switch_link(text: str, label: str, href: str) -> rx.Component:
    return rx.text(text, " ", rx.link(label, href=href, weight="medium"), size="2", align="center")


def signup_page() -> rx.Component:
    s = SignUpState
    return page_frame(
        auth_card(
            "Create your account",
            f"Start with {get_settings().signup_bonus_credits} free credits. No card needed.",
            form_message(s.form_error),
            auth_form(
                field(
                    "Username",
                    "username",
                    s.username_error,
                    autocomplete="username",
                    hint="3–20 characters: letters, digits or _.",
                    form_id="signup",
                    auto_focus=True,
                ),
                field(
                    "Email",
                    "email",
                    s.email_error,
                    type_="email",
                    autocomplete="email",
                    form_id="signup",
                ),
                field(
                    "Password",
                    "password",
                    s.password_error,
                    type_="password",
                    autocomplete="new-password",
                    hint="At least 8 characters.",
                    form_id="signup",
                ),
                submit_button("Sign up", s.submitting),
                on_submit=s.submit,
            ),
            google_button(),
            switch_link("Already have an account?", "Log in", "/login"),
        ),
    )


def login_page() -> rx.Component:
    s = LogInState
    return page_frame(
        auth_card(
            "Welcome back",
            "Log in to your studio.",
            rx.cond(
                s.expired,
                form_message(
                    "That sign-in link has expired. Please log in again.",
                    color="amber",
                    icon="clock",
                ),
            ),
            form_message(s.form_error),
            auth_form(
                field(
                    "Username or email",
                    "login",
                    s.login_error,
                    autocomplete="username",
                    form_id="login",
                    auto_focus=True,
                ),
                field(
                    "Password",
                    "password",
                    s.password_error,
                    type_="password",
                    autocomplete="current-password",
                    form_id="login",
                ),
                rx.link("Forgot password?", href="/forgot-password", size="2", align="right"),
                submit_button("Log in", s.submitting),
                on_submit=s.submit,
            ),
            google_button(),
            switch_link("New to Pixel Studio?", "Create an account", "/signup"),
        ),
    )
