"""Settings' "Email" and "Password" sections (state/account_security.py)."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.forms import field, settings_section
from pixel_studio.state.account_security import AccountSecurityState


def _submit(label: str, busy: rx.Var[bool] | bool) -> rx.Component:
    return rx.button(
        rx.cond(busy, rx.spinner(size="2"), rx.fragment()),
        label,
        type="submit",
        size="3",
        disabled=busy,
    )


def email_section() -> rx.Component:
    s = AccountSecurityState
    return settings_section(
        "Email",
        "Where we send password resets and account notices.",
        rx.vstack(
            rx.hstack(
                rx.text(s.email, weight="medium", size="2", word_break="break-all"),
                rx.cond(
                    s.verified,
                    rx.badge(rx.icon("circle-check", size=12), "Verified", color_scheme="green"),
                    rx.badge("Not verified", color_scheme="amber"),
                ),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                ~s.verified,
                rx.hstack(
                    rx.text("Open the link we mailed you to verify it.", size="2"),
                    rx.button(
                        rx.cond(s.resending, rx.spinner(size="2"), rx.icon("mail", size=16)),
                        "Send the link again",
                        on_click=s.resend_verification,
                        disabled=s.resending,
                        variant="soft",
                        size="2",
                    ),
                    align="center",
                    wrap="wrap",
                ),
            ),
            rx.cond(
                s.pending_email != "",
                rx.text(
                    "Waiting for ",
                    rx.text.strong(s.pending_email),
                    " to open its link; until then your address stays as it is.",
                    size="2",
                    color_scheme="gray",
                ),
            ),
            rx.cond(
                s.has_password,
                rx.form(
                    rx.vstack(
                        field(
                            "New email",
                            "new_email",
                            s.new_email_error,
                            type_="email",
                            autocomplete="email",
                            form_id="change-email",
                        ),
                        field(
                            "Your password",
                            "password",
                            s.email_password_error,
                            type_="password",
                            autocomplete="current-password",
                            form_id="change-email",
                        ),
                        _submit("Change email", s.changing_email),
                        spacing="3",
                        align="start",
                        width="100%",
                    ),
                    key=s.email_form_key,
                    on_submit=s.change_email,
                    no_validate=True,
                    width="100%",
                ),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
    )


def password_section() -> rx.Component:
    s = AccountSecurityState
    return settings_section(
        "Password",
        "Changing it signs out every other browser; this one stays signed in.",
        rx.cond(
            s.has_password,
            rx.form(
                rx.vstack(
                    field(
                        "Current password",
                        "current_password",
                        s.current_password_error,
                        type_="password",
                        autocomplete="current-password",
                        form_id="change-password",
                    ),
                    field(
                        "New password",
                        "new_password",
                        s.new_password_error,
                        type_="password",
                        autocomplete="new-password",
                        hint="At least 8 characters.",
                        form_id="change-password",
                    ),
                    field(
                        "Repeat the new password",
                        "confirm_password",
                        type_="password",
                        autocomplete="new-password",
                        form_id="change-password",
                    ),
                    _submit("Change password", s.changing_password),
                    spacing="3",
                    align="start",
                    width="100%",
                ),
                key=s.password_form_key,
                on_submit=s.change_password,
                no_validate=True,
                width="100%",
            ),
            rx.text(
                "You sign in with Google. To add a password, use “Forgot password?” on the "
                "log-in page.",
                size="2",
            ),
        ),
    )


def account_security_sections() -> rx.Component:
    """Both sections; they load their data when they mount."""
    return rx.vstack(
        email_section(),
        password_section(),
        on_mount=AccountSecurityState.load,
        spacing="5",
        width="100%",
    )
