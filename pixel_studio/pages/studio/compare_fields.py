"""/compare's "what varies" fields: the choice (models, style presets, seeds, guidance), the
model checkboxes, and for one model its presets (checkboxes) or its seeds or guidances (typed).
"""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.forms import field
from pixel_studio.components.studio import option, select_field
from pixel_studio.state.compare import MAX_MODELS_TEXT, CompareState, VaryOption
from pixel_studio.state.create_form import ModelOption

S = CompareState
FORM = "compare"


def error_of(name: str) -> Var[str]:
    """The error shown at one field (every field has an entry, "" when fine)."""
    return cast("ObjectVar[dict[str, str]]", S.errors)[name].to(str)


def _model_check(choice: ObjectVar[ModelOption]) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=S.chosen.contains(choice.id),
                # A lambda over the row's id: mypy cannot see the handler is callable.
                on_change=lambda checked: S.toggle_model(choice.id, checked),  # type: ignore[operator]
                aria_label=choice.name,
            ),
            rx.text(choice.name, size="2", weight="medium"),
            rx.spacer(),
            rx.text(choice.price, " cr / image", size="1", color_scheme="gray"),
            align="center",
            spacing="2",
            width="100%",
        ),
        class_name="ps-compare-model",
        width="100%",
    )


def models_field() -> rx.Component:
    error = error_of("models")
    return rx.flex(
        rx.el.span(f"Models ({MAX_MODELS_TEXT})", class_name="ps-label", id=f"{FORM}-models"),
        rx.grid(
            rx.foreach(S.models, _model_check),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="2",
            width="100%",
            role="group",
            aria_labelledby=f"{FORM}-models",
        ),
        rx.cond(
            error != "",
            rx.text(error, id=f"{FORM}-models-error", role="alert", size="2", color_scheme="red"),
        ),
        direction="column",
        spacing="2",
        width="100%",
    )


def _vary_item(choice: ObjectVar[VaryOption]) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.radio_group.item(
                value=choice.value, disabled=~choice.available, aria_label=choice.label
            ),
            rx.vstack(
                rx.text(choice.label, size="2", weight="medium"),
                rx.cond(~choice.available, rx.text(choice.reason, size="1", color_scheme="gray")),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        class_name="ps-compare-model",
        width="100%",
    )


def vary_field() -> rx.Component:
    return rx.flex(
        rx.el.span("Compare", class_name="ps-label", id=f"{FORM}-vary"),
        rx.radio_group.root(
            rx.grid(
                rx.foreach(S.vary_choices, _vary_item),
                columns=rx.breakpoints(initial="2", md="4"),
                spacing="2",
                width="100%",
            ),
            value=S.vary,
            on_change=S.set_vary,
            aria_labelledby=f"{FORM}-vary",
            name="vary",
            width="100%",
        ),
        direction="column",
        spacing="2",
        width="100%",
    )


def _preset_check(preset: Var[str]) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=S.presets.contains(preset),
                on_change=lambda checked: S.toggle_preset(preset, checked),  # type: ignore[operator]
                aria_label=preset,
            ),
            rx.text(preset, size="2"),
            align="center",
            spacing="2",
        ),
        class_name="ps-compare-model",
        width="100%",
    )


def _typed_values(label: str, example: str, error: Var[str]) -> rx.Component:
    return field(
        label,
        "values",
        error,
        form_id=FORM,
        value=S.values_text,
        on_change=S.set_values_text,
        placeholder=example,
    )


def values_field() -> rx.Component:
    """For one model: which presets, or which seeds or guidances (typed), one per column."""
    error = error_of("values")
    return rx.vstack(
        select_field(
            "Model",
            f"{FORM}-model",
            S.model_id,
            S.set_one_model,
            rx.foreach(S.models, lambda m: option(m.item_label, value=m.id)),
            error=error_of("models"),
        ),
        rx.cond(
            S.vary == "style_preset",
            rx.flex(
                rx.el.span(
                    f"Style presets ({MAX_MODELS_TEXT})", class_name="ps-label", id=f"{FORM}-values"
                ),
                rx.grid(
                    rx.foreach(S.preset_choices, _preset_check),
                    columns=rx.breakpoints(initial="2", sm="3", md="5"),
                    spacing="2",
                    width="100%",
                    role="group",
                    aria_labelledby=f"{FORM}-values",
                ),
                rx.cond(
                    error != "",
                    rx.text(
                        error, id=f"{FORM}-values-error", role="alert", size="2", color_scheme="red"
                    ),
                ),
                direction="column",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                S.vary == "seed",
                _typed_values("Seeds, 2 to 4 (e.g. 7, 42)", "7, 42", error),
                _typed_values("Guidance values, 2 to 4 (e.g. 4, 7.5, 12)", "4, 7.5, 12", error),
            ),
        ),
        spacing="3",
        width="100%",
    )
