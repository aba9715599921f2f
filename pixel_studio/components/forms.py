"""Form building blocks: a labelled input with its error, a form-level message, a submit button.

Labels are real `<label for=…>` elements: they are how screen readers and the tests find the
inputs. Errors are tied to their input with `aria-describedby` and announced (`role=alert`).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var


def field(
    label: str,
    name: str,
    error: Var[str] | str = "",
    *,
    type_: str = "text",
    autocomplete: str = "off",
    placeholder: str = "",
    hint: str = "",
    form_id: str = "",
    **input_props: Any,
) -> rx.Component:
    """A labelled input. `form_id` keeps ids unique when two forms use the same field name."""
    input_id = f"{form_id or 'f'}-{name}"
    error_id = f"{input_id}-error"
    has_error = Var.create(error) != ""
    return rx.flex(
        rx.el.label(label, html_for=input_id, class_name="ps-label"),
        rx.input(
            id=input_id,
            name=name,
            type=type_,
            auto_complete=autocomplete,
            placeholder=placeholder,
            size="3",
            aria_invalid=rx.cond(has_error, "true", "false"),
            aria_describedby=error_id,
            color_scheme=rx.cond(has_error, "red", "gray"),
            variant="surface",
            width="100%",
            **input_props,
        ),
        rx.cond(
            has_error,
            rx.text(error, id=error_id, role="alert", size="2", color_scheme="red"),
            rx.cond(hint != "", rx.text(hint, id=error_id, size="1", color_scheme="gray")),
        ),
        direction="column",
        spacing="1",
        width="100%",
    )


def form_message(
    message: Var[str] | str, color: str = "red", icon: str = "circle-alert"
) -> rx.Component:
    """A callout above the form for problems that belong to no single field."""
    return rx.cond(
        Var.create(message) != "",
        rx.callout(message, icon=icon, color_scheme=color, role="alert", width="100%"),
    )


def submit_button(label: str, busy: Var[bool] | bool = False, **props: Any) -> rx.Component:
    """A full-width submit button; disabled while the request runs, keeping its name."""
    return rx.button(
        rx.cond(busy, rx.spinner(size="2"), rx.fragment()),
        label,
        type="submit",
        size="3",
        disabled=busy,
        width="100%",
        **props,
    )
