"""The settings page's security panels: your sessions, and your API tokens.

Each returns the body of a settings section (pages/accounts/settings.py frames it with its
title)."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.forms import field, labelled
from pixel_studio.state.api_tokens import (
    EXPIRIES,
    NEVER,
    SCOPES,
    SECRET_INPUT_ID,
    ApiTokensState,
    TokenRow,
)
from pixel_studio.state.sessions_list import SessionRow, SessionsState

TOKEN_FORM = "api-token"


def _session_row(row: SessionRow) -> rx.Component:
    return rx.hstack(
        rx.icon("monitor-smartphone", size=18, aria_hidden="true"),
        rx.vstack(
            rx.hstack(
                rx.text(row.browser, weight="medium"),
                rx.cond(row.current, rx.badge("This device", color_scheme="green")),
                align="center",
                wrap="wrap",
            ),
            rx.text(
                rx.cond(row.network != "", "Network " + row.network, "Network unknown"),
                " · signed in ",
                row.signed_in,
                " · last seen ",
                row.last_seen,
                size="1",
                color_scheme="gray",
            ),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.button(
            "Sign out",
            on_click=SessionsState.sign_out_session(row.id),  # type: ignore[misc]  # bound event
            color_scheme="red",
            variant="soft",
            size="1",
            aria_label=rx.cond(
                row.current,
                "Sign out this device",
                "Sign out " + row.browser + " last seen " + row.last_seen,
            ),
        ),
        width="100%",
        align="center",
        class_name="ps-session-row",
        role="listitem",
    )


def sessions_panel() -> rx.Component:
    s = SessionsState
    return rx.vstack(
        rx.cond(
            s.rows.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(
                rx.foreach(s.rows, _session_row),
                spacing="3",
                width="100%",
                role="list",
                aria_label="Your sessions",
            ),
            rx.text("No other sessions.", size="2", color_scheme="gray"),
        ),
        rx.separator(size="4"),
        rx.text(
            "Sign out everywhere ends every session of your account, this one included: every "
            "browser and device must log in again. Open pages stop working at their next action.",
            size="2",
        ),
        rx.el.label(
            rx.hstack(
                rx.checkbox(
                    checked=s.also_tokens,
                    on_change=s.set_also_tokens,
                    id="signout-tokens",
                ),
                rx.text("Also revoke every API token", size="2"),
                align="center",
            ),
            html_for="signout-tokens",
        ),
        rx.button(
            rx.cond(s.signing_out, rx.spinner(size="2"), rx.icon("log-out", size=16)),
            "Sign out everywhere",
            on_click=s.sign_out_everywhere,
            disabled=s.signing_out,
            color_scheme="red",
            variant="soft",
            size="3",
        ),
        spacing="3",
        align="start",
        width="100%",
        on_mount=s.load,
    )


def _token_row(row: TokenRow) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.text(row.name, weight="medium"),
                rx.badge(row.access, color_scheme="gray"),
                align="center",
                wrap="wrap",
            ),
            rx.text(
                "Created ",
                row.created,
                " · ",
                rx.cond(row.last_used != "", "last used " + row.last_used, "never used"),
                rx.cond(row.expires != "", " · expires " + row.expires, " · never expires"),
                size="1",
                color_scheme="gray",
            ),
            spacing="0",
        ),
        rx.spacer(),
        rx.button(
            "Revoke",
            on_click=ApiTokensState.revoke_token(row.id),  # type: ignore[misc]  # a bound event
            color_scheme="red",
            variant="soft",
            size="1",
            aria_label="Revoke " + row.name,
        ),
        width="100%",
        align="center",
    )


def _choice(label: str, name: str, options: dict[str, str], default: str) -> rx.Component:
    """An uncontrolled select: its value arrives with the submitted form, not in state."""
    input_id = f"{TOKEN_FORM}-{name}"
    return labelled(
        label,
        input_id,
        rx.select.root(
            rx.select.trigger(id=input_id, width="100%"),
            rx.select.content(
                *[rx.select.item(text, value=value) for value, text in options.items()]
            ),
            name=name,
            default_value=default,
            size="3",
        ),
    )


def _new_secret() -> rx.Component:
    """Always in the page (hidden until a token is made): the handler fills it with
    `rx.set_value`, so the secret lives in this input only, never in state."""
    s = ApiTokensState
    return rx.box(
        rx.callout.root(
            rx.callout.text("Copy this token now: it is not shown again."),
            rx.el.input(
                id=SECRET_INPUT_ID,
                read_only=True,
                aria_label="Your new API token",
                class_name="ps-secret",
                style={"width": "100%", "fontFamily": "monospace"},
            ),
            rx.hstack(
                rx.button(
                    "Copy",
                    on_click=rx.call_script(
                        "navigator.clipboard.writeText("
                        f"document.getElementById('{SECRET_INPUT_ID}').value)"
                    ),
                    size="1",
                ),
                rx.button("Done", on_click=s.dismiss_token, variant="soft", size="1"),
            ),
            color_scheme="green",
            width="100%",
        ),
        display=rx.cond(s.token_shown, "block", "none"),
        width="100%",
    )


def api_tokens_panel() -> rx.Component:
    s = ApiTokensState
    return rx.vstack(
        rx.form(
            rx.vstack(
                field(
                    "Token name",
                    "name",
                    s.error,
                    placeholder="e.g. laptop script",
                    form_id=TOKEN_FORM,
                    max_length=100,
                ),
                rx.grid(
                    _choice("Access", "scope", SCOPES, "write"),
                    _choice("Expiry", "expires", EXPIRIES, NEVER),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                field(
                    "Your password",
                    "password",
                    s.password_error,
                    type_="password",
                    autocomplete="current-password",
                    form_id=TOKEN_FORM,
                    hint="Not needed if you signed in less than 10 minutes ago.",
                ),
                rx.button("Create token", type="submit", loading=s.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=s.create_token,
            no_validate=True,
            width="100%",
        ),
        _new_secret(),
        rx.cond(
            s.has_tokens,
            rx.vstack(rx.foreach(s.tokens, _token_row), spacing="3", width="100%"),
            rx.text("No tokens yet.", size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        on_mount=s.load,
        on_unmount=s.dismiss_token,
    )
