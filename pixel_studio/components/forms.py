"""Form building blocks: a labelled input with its error, a form-level message, a submit button.

Labels are real `<label for=…>` elements: they are how screen readers and the tests find the
inputs. Errors are tied to their input with `aria-describedby` and announced (`role=alert`).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var


def invalid_props(input_id: str, error: Var[str] | str) -> dict[str, Any]:
    """A control's error styling and its tie to the error text `labelled` shows below it."""
    has_error = Var.create(error) != ""
    return {
        "color_scheme": rx.cond(has_error, "red", "gray"),
        "aria_invalid": rx.cond(has_error, "true", "false"),
        "aria_describedby": f"{input_id}-error",
    }


def labelled(
    label: str,
    input_id: str,
    control: rx.Component,
    *,
    error: Var[str] | str = "",
    hint: Var[str] | str = "",
) -> rx.Component:
    """A label above any control, with its error (announced) or a hint below."""
    has_error = Var.create(error) != ""
    return rx.flex(
        rx.el.label(label, html_for=input_id, class_name="ps-label"),
        control,
        rx.cond(
            has_error,
            rx.text(error, id=f"{input_id}-error", role="alert", size="2", color_scheme="red"),
            rx.cond(
                Var.create(hint) != "",
                rx.text(hint, id=f"{input_id}-error", size="1", color_scheme="gray"),
            ),
        ),
        direction="column",
        spacing="1",
        width="100%",
        min_width="0",
    )


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
    return labelled(
        label,
        input_id,
        rx.input(
            id=input_id,
            name=name,
            type=type_,
            auto_complete=autocomplete,
            placeholder=placeholder,
            size="3",
            variant="surface",
            width="100%",
            **invalid_props(input_id, error),
            **input_props,
        ),
        error=error,
        hint=hint,
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


def private_checkbox(checked: Var[bool], on_change: Any, label: str) -> rx.Component:
    """The "Private" choice of the studio's forms (create's sibling pages: compare, edit)."""
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=checked,
                on_change=on_change,
                # A Radix checkbox is a <button>: the wrapping <label> does not name it for
                # every reader, so it carries the words itself.
                aria_label=label,
            ),
            rx.text(label, size="2"),
            spacing="2",
            align="center",
        ),
    )


def settings_section(title: str, description: str, *children: rx.Component) -> rx.Component:
    """One card of /settings: its title and description beside (or, narrow, above) the form."""
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.heading(title, as_="h2", size="4"),
                rx.text(description, size="2", color_scheme="gray"),
                spacing="1",
                width=rx.breakpoints(initial="100%", sm="260px"),
                flex_shrink="0",
            ),
            rx.box(*children, flex="1", min_width="0", width="100%"),
            direction={"initial": "column", "sm": "row"},
            spacing="5",
        ),
        size="3",
        width="100%",
    )
