"""The settings page's webhooks panel: add an endpoint, its secret shown once, the endpoints
with a delete button, and the recent deliveries as a compact list (status, attempts, error).
pages/accounts/settings.py frames it with its title."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.forms import field, labelled
from pixel_studio.state.webhooks_settings import (
    ALL,
    EVENT_CHOICES,
    SECRET_INPUT_ID,
    DeliveryRow,
    HookRow,
    WebhooksState,
)

FORM_ID = "webhook"
EVENTS_INPUT_ID = "webhook-events"


def _hook_row(row: HookRow) -> rx.Component:
    return rx.hstack(
        rx.icon("webhook", size=18, aria_hidden="true"),
        rx.vstack(
            rx.text(row.url, weight="medium", style={"wordBreak": "break-all"}),
            rx.text(row.events, " · added ", row.created, size="1", color_scheme="gray"),
            spacing="0",
            min_width="0",
        ),
        rx.spacer(),
        rx.button(
            "Delete",
            on_click=WebhooksState.delete_webhook(row.id),  # type: ignore[misc]  # bound event
            color_scheme="red",
            variant="soft",
            size="1",
            aria_label="Delete the webhook " + row.url,
        ),
        width="100%",
        align="center",
    )


def _delivery_row(row: DeliveryRow) -> rx.Component:
    return rx.hstack(
        rx.badge(row.status, color_scheme=row.color),  # type: ignore[arg-type]
        rx.vstack(
            rx.text(row.event, " → ", row.url, size="2", style={"wordBreak": "break-all"}),
            rx.text(
                row.created,
                " · ",
                row.attempts,
                " attempt(s) · ",
                row.detail,
                size="1",
                color_scheme="gray",
            ),
            spacing="0",
            min_width="0",
        ),
        width="100%",
        align="center",
    )


def _new_secret() -> rx.Component:
    """Always in the page, hidden until an endpoint is added (see state/webhooks_settings)."""
    return rx.box(
        rx.callout.root(
            rx.callout.text("Copy this signing secret now: it is not shown again."),
            rx.el.input(
                id=SECRET_INPUT_ID,
                read_only=True,
                aria_label="The new webhook's signing secret",
                class_name="ps-secret",
                style={"width": "100%", "fontFamily": "monospace"},
            ),
            rx.button("Done", on_click=WebhooksState.dismiss_secret, variant="soft", size="1"),
            color_scheme="green",
            width="100%",
        ),
        display=rx.cond(WebhooksState.secret_shown, "block", "none"),
        width="100%",
    )


def webhooks_panel() -> rx.Component:
    s = WebhooksState
    return rx.vstack(
        rx.form(
            rx.vstack(
                field(
                    "Endpoint URL",
                    "url",
                    s.error,
                    placeholder="https://example.com/pixel-studio-hook",
                    form_id=FORM_ID,
                    max_length=2000,
                ),
                labelled(
                    "Events",
                    EVENTS_INPUT_ID,
                    rx.select.root(
                        rx.select.trigger(id=EVENTS_INPUT_ID, width="100%"),
                        rx.select.content(
                            *[rx.select.item(t, value=v) for v, t in EVENT_CHOICES.items()]
                        ),
                        name="events",
                        default_value=ALL,
                        size="3",
                    ),
                ),
                rx.button("Add webhook", type="submit", loading=s.busy),
                spacing="3",
                width="100%",
            ),
            on_submit=s.create_webhook,
            no_validate=True,
            width="100%",
        ),
        _new_secret(),
        rx.cond(
            s.has_hooks,
            rx.vstack(rx.foreach(s.hooks, _hook_row), spacing="3", width="100%"),
            rx.text("No webhooks yet.", size="2", color_scheme="gray"),
        ),
        rx.hstack(
            rx.heading("Recent deliveries", as_="h3", size="3"),
            rx.spacer(),
            rx.button("Refresh", on_click=s.load, variant="ghost", size="1"),
            width="100%",
            align="center",
        ),
        rx.cond(
            s.has_deliveries,
            rx.vstack(rx.foreach(s.deliveries, _delivery_row), spacing="2", width="100%"),
            rx.text("Nothing sent yet.", size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        on_mount=s.load,
        on_unmount=s.dismiss_secret,
    )
