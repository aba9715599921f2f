"""The owner's "Delete …" button and the dialog that asks before anything is deleted
(image, set and collection pages)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var


def confirm_delete(
    label: str,
    title: str,
    description: str,
    on_delete: Any,  # an event handler without arguments
    *,
    loading: Var[bool] | None = None,
    icon_size: int = 16,
) -> rx.Component:
    """A soft red `label` button; its dialog says `title` and `description`, and only its
    "Delete" runs `on_delete` ("Keep it" closes it)."""
    busy: dict[str, Any] = {} if loading is None else {"loading": loading}
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=icon_size),
                label,
                variant="soft",
                color_scheme="red",
                size="2",
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete",
                        color_scheme="red",
                        high_contrast=True,  # white on solid red is under 4.5:1
                        on_click=on_delete,
                        **busy,
                    ),
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
    )
