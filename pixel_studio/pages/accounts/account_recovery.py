"""`/verify`, `/forgot-password` and `/reset-password`: the pages account emails lead to."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.forms import field, form_message, submit_button
from pixel_studio.components.layout import page_frame
from pixel_studio.pages.accounts.auth_pages import auth_card, auth_form, switch_link
from pixel_studio.state.account_recovery import (
    ForgotPasswordState,
    ResetPasswordState,
    VerifyEmailState,
)
from pixel_studio.state.auth import AuthState


def _checking() -> rx.Component:
    return rx.hstack(rx.spinner(), rx.text("Checking your link…", size="2"), align="center")


def _invalid(message: rx.Var[str] | str, retry_label: str, retry_href: str) -> rx.Component:
    return rx.vstack(
        form_message(message, icon="link-2-off"),
        rx.link(retry_label, href=retry_href, weight="medium", size="2"),
        spacing="3",
        width="100%",
    )


def verify_email_page() -> rx.Component:
    s = VerifyEmailState
    return page_frame(
        auth_card(
            "Email address",
            "Confirming the address of your account.",
            rx.match(
                s.status,
                (
                    "verified",
                    rx.vstack(
                        rx.callout(
                            rx.text(
                                "Your email address ",
                                rx.text.strong(s.email),
                                " is verified.",
                                rx.cond(
                                    s.changed, " It is your account's address from now on.", ""
                                ),
                            ),
                            icon="circle-check",
                            color_scheme="green",
                            role="status",
                            width="100%",
                        ),
                        rx.cond(
                            AuthState.signed_in,
                            rx.link("Back to your studio", href="/home", weight="medium"),
                            rx.link("Log in", href="/login", weight="medium"),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                ),
                (
                    "invalid",
                    _invalid(s.error, "Send a new link from your settings", "/settings"),
                ),
                _checking(),
            ),
        ),
    )


def forgot_password_page() -> rx.Component:
    s = ForgotPasswordState
    return page_frame(
        auth_card(
            "Forgot your password?",
            "Enter your username or email. We will mail you a link to choose a new one.",
            form_message(s.form_error),
            rx.cond(
                s.sent_message != "",
                rx.callout(
                    s.sent_message, icon="mail", color_scheme="green", role="status", width="100%"
                ),
            ),
            auth_form(
                field(
                    "Username or email",
                    "login",
                    s.login_error,
                    autocomplete="username",
                    form_id="forgot",
                    auto_focus=True,
                ),
                submit_button("Send me a link", s.submitting),
                on_submit=s.submit,
            ),
            switch_link("Remembered it?", "Log in", "/login"),
        ),
    )


def reset_password_page() -> rx.Component:
    s = ResetPasswordState
    return page_frame(
        auth_card(
            "Choose a new password",
            "Every browser signed in to your account will be signed out.",
            rx.match(
                s.status,
                (
                    "form",
                    rx.vstack(
                        form_message(s.form_error),
                        auth_form(
                            field(
                                "New password",
                                "password",
                                s.password_error,
                                type_="password",
                                autocomplete="new-password",
                                hint="At least 8 characters.",
                                form_id="reset",
                                auto_focus=True,
                            ),
                            field(
                                "Repeat the new password",
                                "confirm",
                                s.confirm_error,
                                type_="password",
                                autocomplete="new-password",
                                form_id="reset",
                            ),
                            submit_button("Set new password", s.submitting),
                            on_submit=s.submit,
                        ),
                        spacing="4",
                        width="100%",
                    ),
                ),
                (
                    "done",
                    rx.vstack(
                        rx.callout(
                            "Your password was changed, and every session signed out.",
                            icon="circle-check",
                            color_scheme="green",
                            role="status",
                            width="100%",
                        ),
                        rx.link("Log in with the new password", href="/login", weight="medium"),
                        spacing="3",
                        width="100%",
                    ),
                ),
                (
                    "invalid",
                    _invalid(
                        rx.cond(
                            s.form_error != "",
                            s.form_error,
                            "This reset link is not valid: it was already used, it expired, "
                            "or it was mistyped.",
                        ),
                        "Ask for a new link",
                        "/forgot-password",
                    ),
                ),
                _checking(),
            ),
        ),
    )
