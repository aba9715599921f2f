"""`/settings`: username, avatar, the default privacy of new images, API tokens, your data
(export) and account deletion."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pixel_studio.components.account_security import api_tokens_panel, sessions_panel
from pixel_studio.components.forms import field, settings_section
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.nav import user_avatar
from pixel_studio.components.settings_account_security import account_security_sections
from pixel_studio.components.webhooks_panel import webhooks_panel
from pixel_studio.state.account_data import AccountDataState
from pixel_studio.state.auth import AuthState
from pixel_studio.state.google_connect import GoogleConnectState
from pixel_studio.state.settings_page import AVATAR_MAX_BYTES, AVATAR_TYPES, SettingsState

AVATAR_UPLOAD_ID = "avatar"


def labelled_upload(label: str, *children: rx.Component, **props: Any) -> rx.Component:
    """`rx.upload.root` whose hidden file input carries the label too: Reflex makes that
    <input type=file> itself and offers no prop for it, and an unlabelled form control is
    what a screen reader lands on when it browses by form fields."""
    upload = rx.upload.root(*children, aria_label=label, **props)
    for zone in upload.children:
        for child in zone.children:
            if getattr(child, "tag", None) == "input":
                child.custom_attrs["aria-label"] = label
    return upload


def avatar_section() -> rx.Component:
    s = SettingsState
    return settings_section(
        "Avatar",
        "PNG, JPEG or WebP, at most 2 MB. We store a re-encoded copy.",
        rx.hstack(
            user_avatar("6"),
            labelled_upload(
                "Upload a new avatar",
                rx.vstack(
                    rx.cond(
                        s.uploading,
                        rx.hstack(rx.spinner(), rx.text("Uploading…", size="2")),
                        rx.hstack(
                            rx.icon("upload", size=16),
                            rx.text("Upload a new avatar", size="2", weight="medium"),
                            align="center",
                        ),
                    ),
                    rx.text("Click or drop an image here", size="1", color_scheme="gray"),
                    spacing="1",
                ),
                id=AVATAR_UPLOAD_ID,
                accept=AVATAR_TYPES,
                max_files=1,
                multiple=False,
                max_size=AVATAR_MAX_BYTES,
                disabled=s.uploading,
                # Streamed to a background event; mypy cannot see that the handler is callable.
                on_drop=s.upload_avatar(  # type: ignore[misc]
                    rx.upload_files_chunk(upload_id=AVATAR_UPLOAD_ID)
                ),
                on_drop_rejected=s.avatar_rejected,
                class_name="ps-dropzone",
                flex="1",
            ),
            spacing="5",
            align="center",
            width="100%",
        ),
        rx.cond(
            s.avatar_error != "",
            rx.text(s.avatar_error, role="alert", size="2", color_scheme="red", margin_top="8px"),
        ),
    )


def username_section() -> rx.Component:
    s = SettingsState
    return settings_section(
        "Username",
        "How people find you. 3–20 characters: letters, digits or _.",
        rx.form(
            rx.flex(
                rx.box(
                    field(
                        "Username",
                        "username",
                        s.username_error,
                        autocomplete="username",
                        form_id="settings",
                        default_value=AuthState.username,
                        # Remount when the saved name changes, so the input shows it.
                        key=AuthState.username,
                    ),
                    flex="1",
                    min_width="0",
                ),
                rx.button(
                    rx.cond(s.saving_username, rx.spinner(size="2"), rx.fragment()),
                    "Save",
                    type="submit",
                    size="3",
                    disabled=s.saving_username,
                ),
                spacing="3",
                align={"initial": "stretch", "xs": "end"},
                direction={"initial": "column", "xs": "row"},
            ),
            on_submit=s.save_username,
            no_validate=True,
        ),
    )


def google_section() -> rx.Component:
    """Connect Google to this account (shown only when Google sign-in is configured)."""
    g = GoogleConnectState
    return rx.box(
        rx.cond(
            g.enabled,
            settings_section(
                "Google",
                "Sign in with Google as well as your password.",
                rx.vstack(
                    rx.cond(
                        g.connected,
                        rx.hstack(
                            rx.icon("circle-check", size=16, color="var(--green-10)"),
                            rx.text("Connected as ", rx.text.strong(g.email), size="2"),
                            align="center",
                        ),
                        rx.button(
                            rx.icon("log-in", size=16),
                            "Connect Google",
                            on_click=g.connect,
                            variant="soft",
                            size="3",
                        ),
                    ),
                    rx.cond(g.notice != "", rx.text(g.notice, size="2", color_scheme="green")),
                    rx.cond(
                        g.error != "",
                        rx.text(g.error, role="alert", size="2", color_scheme="red"),
                    ),
                    spacing="3",
                    align="start",
                ),
            ),
        ),
        on_mount=g.load,
        width="100%",
    )


def privacy_section() -> rx.Component:
    s = SettingsState
    return settings_section(
        "Privacy",
        "The starting point for each new image; you can still change any image later.",
        rx.el.label(
            rx.hstack(
                rx.switch(
                    checked=s.default_private,
                    on_change=s.toggle_privacy,
                    id="settings-private",
                    size="2",
                ),
                rx.vstack(
                    rx.text("Make new images private", weight="medium", size="2"),
                    rx.text(
                        rx.cond(
                            s.default_private,
                            "Only you will see new images until you publish them.",
                            "New images are public: anyone with the link can see them.",
                        ),
                        size="2",
                        color_scheme="gray",
                    ),
                    spacing="0",
                ),
                spacing="3",
                align="start",
            ),
            html_for="settings-private",
        ),
    )


def sessions_section() -> rx.Component:
    return settings_section(
        "Sessions",
        "Where your account is signed in. Sign out a browser you no longer use, or all of them.",
        sessions_panel(),
    )


def api_tokens_section() -> rx.Component:
    return settings_section(
        "API tokens",
        "For scripts and programs using the REST API (/api/docs). Send one as "
        "Authorization: Bearer <token>. Revoke any you no longer use.",
        api_tokens_panel(),
    )


def webhooks_section() -> rx.Component:
    return settings_section(
        "Webhooks",
        "Get job.succeeded, job.failed and payment.succeeded as signed POSTs (see the README: "
        "the Pixel-Studio-Signature header). Failed deliveries are retried with backoff.",
        webhooks_panel(),
    )


def export_section() -> rx.Component:
    d = AccountDataState
    return settings_section(
        "Your data",
        "A zip of your original images and JSON of your images, sets, collections, "
        "comments, likes, follows and credit history. The download link is yours alone and "
        "expires; the file is removed after a day.",
        rx.vstack(
            rx.button(
                rx.cond(d.export_busy, rx.spinner(size="2"), rx.icon("download", size=16)),
                "Download my data",
                on_click=d.start_export,
                disabled=d.export_busy,
                variant="soft",
                size="3",
            ),
            rx.cond(
                d.export_busy,
                rx.vstack(
                    rx.progress(value=d.export_percent, width="100%"),
                    rx.text(
                        "Preparing… ",
                        d.export_done,
                        " of ",
                        d.export_total,
                        size="2",
                        aria_live="polite",
                    ),
                    width="100%",
                ),
            ),
            rx.cond(
                d.export_link != "",
                rx.hstack(
                    rx.link(
                        rx.button(rx.icon("file-archive", size=16), "Download the zip"),
                        href=d.export_link,
                        is_external=True,
                        id="export-download",
                    ),
                    rx.text("Ready until ", d.export_until, size="2", color_scheme="gray"),
                    align="center",
                ),
            ),
            rx.cond(
                d.export_status == "expired",
                rx.text("Your last export was removed. Start a new one.", size="2"),
            ),
            rx.cond(
                d.export_error != "",
                rx.text(d.export_error, role="alert", size="2", color_scheme="red"),
            ),
            spacing="3",
            align="start",
            width="100%",
            on_mount=d.load,
        ),
    )


def delete_section() -> rx.Component:
    d = AccountDataState
    return settings_section(
        "Delete account",
        "Removes your images and their files, comments, likes, follows and collections, "
        "and signs you out everywhere. This cannot be undone.",
        rx.form(
            rx.vstack(
                rx.cond(
                    d.has_password,
                    field(
                        "Password",
                        "password",
                        d.password_error,
                        type_="password",
                        autocomplete="current-password",
                        form_id="delete-account",
                    ),
                    rx.vstack(
                        rx.text(
                            "Your account has no password: delete it within 10 minutes of "
                            "signing in with Google (sign out and in again first if needed).",
                            size="2",
                        ),
                        rx.cond(
                            d.password_error != "",
                            rx.text(d.password_error, role="alert", size="2", color_scheme="red"),
                        ),
                    ),
                ),
                field(
                    "Type your username to confirm",
                    "confirm",
                    d.confirm_error,
                    autocomplete="off",
                    form_id="delete-account",
                ),
                rx.cond(
                    d.delete_error != "",
                    rx.text(d.delete_error, role="alert", size="2", color_scheme="red"),
                ),
                rx.button(
                    rx.cond(d.deleting, rx.spinner(size="2"), rx.icon("trash-2", size=16)),
                    "Delete my account",
                    type="submit",
                    disabled=d.deleting,
                    color_scheme="red",
                    high_contrast=True,  # white on solid red is under 4.5:1
                    size="3",
                ),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=d.delete_account,
            no_validate=True,
        ),
    )


def settings_page() -> rx.Component:
    return page_frame(
        signed_in_only(
            rx.vstack(
                rx.vstack(
                    rx.heading("Settings", as_="h1", size="7"),
                    rx.text("Your profile and defaults.", color_scheme="gray"),
                    spacing="1",
                    padding_top="40px",
                ),
                avatar_section(),
                username_section(),
                account_security_sections(),
                google_section(),
                privacy_section(),
                sessions_section(),
                api_tokens_section(),
                webhooks_section(),
                export_section(),
                delete_section(),
                spacing="5",
                width="100%",
            ),
        ),
    )
