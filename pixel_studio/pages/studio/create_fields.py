"""The create form's inputs: each one labelled (`<label for>`), with its error at the field,
shown only when the chosen model takes that parameter (CreateState.selected says which)."""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.forms import invalid_props, labelled
from pixel_studio.components.studio import option, option_group, select_field
from pixel_studio.state.create import MAX_PROMPT, CreateState
from pixel_studio.state.create_form import Choice, ModelOption, preset_choices

S = CreateState
FORM = "create"


def _choice(choice: ObjectVar[Choice]) -> rx.Component:
    return option(choice.label, value=choice.value)


def _model_item(model: ObjectVar[ModelOption]) -> rx.Component:
    return option(model.item_label, value=model.id, disabled=~model.available)


def error_of(name: str) -> Var[str]:
    """The error shown at one field (every field has an entry, "" when fine)."""
    return cast("ObjectVar[dict[str, str]]", S.errors)[name].to(str)


def prompt_field() -> rx.Component:
    error = error_of("prompt")
    return rx.flex(
        rx.hstack(
            rx.el.label("Prompt", html_for=f"{FORM}-prompt", class_name="ps-label"),
            rx.spacer(),
            rx.text(
                S.prompt_length.to_string() + f" / {MAX_PROMPT:,}",
                size="1",
                color_scheme=rx.cond(S.prompt_too_long, "red", "gray"),  # type: ignore[arg-type]
                class_name="ps-counter",
                aria_live="polite",
            ),
            width="100%",
            align="end",
        ),
        rx.text_area(
            id=f"{FORM}-prompt",
            name="prompt",
            value=S.prompt,
            on_change=S.set_prompt,
            placeholder="A lighthouse on a cliff at sunset, warm light, crashing waves",
            rows="4",
            size="3",
            resize="vertical",
            variant="surface",
            width="100%",
            **invalid_props(f"{FORM}-prompt", error),
        ),
        rx.cond(
            error != "",
            rx.text(error, id=f"{FORM}-prompt-error", role="alert", size="2", color_scheme="red"),
        ),
        direction="column",
        spacing="1",
        width="100%",
    )


def model_field() -> rx.Component:
    selected = S.selected
    return rx.vstack(
        select_field(
            "Model",
            f"{FORM}-model",
            S.model_id,
            S.set_model,
            [
                option_group(
                    "Ready to use",
                    rx.foreach(S.models, lambda o: rx.cond(o.available, _model_item(o))),
                ),
                option_group(
                    "Not available here",
                    rx.foreach(S.models, lambda o: rx.cond(~o.available, _model_item(o))),
                ),
            ],
            error=error_of("model"),
        ),
        rx.text(selected.description, size="2", color_scheme="gray"),
        rx.cond(
            ~selected.available,
            rx.callout(
                selected.reason, icon="triangle-alert", color_scheme="amber", size="1", width="100%"
            ),
        ),
        spacing="2",
        width="100%",
    )


def number_field(
    label: str,
    name: str,
    value: Var[str],
    on_change: Any,
    hint: Var[str],
    step: str,
    low: str,
    high: str,
) -> rx.Component:
    input_id = f"{FORM}-{name}"
    error = error_of(name)
    return labelled(
        label,
        input_id,
        rx.input(
            id=input_id,
            name=name,
            type="number",
            value=value,
            on_change=on_change,
            step=step,
            min=low,
            max=high,
            input_mode="decimal",
            size="3",
            variant="surface",
            width="100%",
            **invalid_props(input_id, error),
        ),
        error=error,
        hint=hint,
    )


def seed_field() -> rx.Component:
    input_id = f"{FORM}-seed"
    error = error_of("seed")
    return labelled(
        "Seed",
        input_id,
        rx.hstack(
            rx.input(
                id=input_id,
                name="seed",
                value=S.seed,
                on_change=S.set_seed,
                placeholder="Random",
                input_mode="numeric",
                size="3",
                variant="surface",
                flex="1",
                **invalid_props(input_id, error),
            ),
            rx.icon_button(
                rx.icon("dices", size=18),
                on_click=S.random_seed,
                type="button",
                size="3",
                variant="soft",
                color_scheme="gray",
                aria_label="Pick a random seed",
                title="Pick a random seed",
            ),
            spacing="2",
            width="100%",
        ),
        error=error,
        hint="The same seed and settings make the same picture.",
    )


def parameters() -> rx.Component:
    m = S.selected
    return rx.grid(
        rx.cond(
            m.style_preset,
            select_field(
                "Style",
                f"{FORM}-style-preset",
                S.style_preset,
                S.set_style_preset,
                [option(c.label, value=c.value) for c in preset_choices()],
                error=error_of("style_preset"),
            ),
        ),
        select_field(
            "Size",
            f"{FORM}-size",
            S.size,
            S.set_size,
            rx.foreach(m.sizes, _choice),
            error=error_of("size"),
        ),
        select_field(
            "Number of images",
            f"{FORM}-count",
            S.count,
            S.set_count,
            rx.foreach(S.count_choices, lambda n: option(n, value=n)),
            error=error_of("count"),
            hint="Up to " + m.max_images.to_string() + " per request.",
        ),
        rx.cond(m.seed, seed_field()),
        rx.cond(
            m.guidance,
            number_field(
                "Guidance",
                "guidance",
                S.guidance,
                S.set_guidance,
                m.guidance_hint,
                "0.5",
                "1",
                "35",
            ),
        ),
        rx.cond(
            m.steps,
            number_field("Steps", "steps", S.steps, S.set_steps, m.steps_hint, "1", "10", "50"),
        ),
        rx.cond(
            m.quality,
            select_field(
                "Quality",
                f"{FORM}-quality",
                S.quality,
                S.set_quality,
                rx.foreach(m.quality_options, _choice),
                error=error_of("quality"),
            ),
        ),
        rx.cond(
            m.style,
            select_field(
                "Rendering style",
                f"{FORM}-style",
                S.style,
                S.set_style,
                [
                    option("Vivid", value="vivid"),
                    option("Natural", value="natural"),
                ],
                error=error_of("style"),
            ),
        ),
        columns=rx.breakpoints(initial="1", xs="2"),
        spacing="4",
        width="100%",
    )


def private_field() -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.switch(
                checked=S.private,
                on_change=S.set_private,
                id=f"{FORM}-private",
                name="private",
                size="2",
            ),
            rx.vstack(
                rx.text("Private", weight="medium", size="2"),
                rx.text(
                    rx.cond(
                        S.private,
                        "Only you will see these images.",
                        "Public: anyone with the link can see these images.",
                    ),
                    size="1",
                    color_scheme="gray",
                ),
                spacing="0",
            ),
            spacing="3",
            align="start",
        ),
        html_for=f"{FORM}-private",
    )
