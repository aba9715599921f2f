"""`/compare`: one prompt made 2–4 ways, the results side by side as they arrive.

"Compare" chooses what varies: models (when two or more are available), or, for one model,
style presets, seeds or guidance. The form shares the rest (prompt, size, count, seed, style
preset); each model uses its own defaults for what the form does not ask. Below it, one
column per variant: the job's live progress, its pictures, a link to its set and a remix
link; "Compare again" refills the form.
"""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.forms import (
    field,
    form_message,
    invalid_props,
    labelled,
    private_checkbox,
)
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.studio import (
    option,
    select_field,
    status_badge,
    studio_styles,
    thumb_link,
)
from pixel_studio.pages.studio.compare_fields import (
    FORM,
    error_of,
    models_field,
    values_field,
    vary_field,
)
from pixel_studio.state.auth import AuthState
from pixel_studio.state.compare import CompareState
from pixel_studio.state.job_views import JobView, Thumb

S = CompareState


def label_of(job: ObjectVar[JobView]) -> Var[str]:
    """A column's heading: what varied ("Anime", "Seed 7"), or its model's name."""
    labels = cast("ObjectVar[dict[str, str]]", S.labels)
    return rx.cond(labels.contains(job.job_id), labels[job.job_id].to(str), job.model_name.to(str))


def prompt_field() -> rx.Component:
    error = error_of("prompt")
    return labelled(
        "Prompt",
        f"{FORM}-prompt",
        rx.text_area(
            id=f"{FORM}-prompt",
            name="prompt",
            value=S.prompt,
            on_change=S.set_prompt,
            placeholder="A lighthouse on a cliff at sunset",
            rows="3",
            size="3",
            variant="surface",
            width="100%",
            **invalid_props(f"{FORM}-prompt", error),
        ),
        error=error,
    )


def parameters() -> rx.Component:
    return rx.grid(
        select_field(
            "Size",
            f"{FORM}-size",
            S.size,
            S.set_size,
            rx.foreach(S.size_choices, lambda c: option(c.label, value=c.value)),
            error=error_of("size"),
        ),
        select_field(
            "Images per model",
            f"{FORM}-count",
            S.count,
            S.set_count,
            [option(str(n), value=str(n)) for n in range(1, 5)],
            error=error_of("count"),
        ),
        # What varies is asked above, once per column: not here as well.
        rx.cond(
            S.vary != "seed",
            field(
                "Seed (optional)",
                "seed",
                error_of("seed"),
                form_id=FORM,
                value=S.seed,
                on_change=S.set_seed,
                placeholder="random",
                input_mode="numeric",
            ),
        ),
        rx.cond(
            S.vary != "style_preset",
            select_field(
                "Style preset",
                f"{FORM}-style_preset",
                S.style_preset,
                S.set_style_preset,
                rx.foreach(S.preset_choices, lambda p: option(p, value=p)),
                error=error_of("style_preset"),
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="2", md="4"),
        spacing="4",
        width="100%",
    )


def compare_form() -> rx.Component:
    short = S.cost > AuthState.credits
    return rx.card(
        rx.form(
            rx.vstack(
                form_message(S.form_error),
                prompt_field(),
                vary_field(),
                rx.cond(S.vary == "model", models_field(), values_field()),
                parameters(),
                private_checkbox(S.private, S.set_private, "Private: only you see these images"),
                rx.flex(
                    rx.text(
                        "Cost ",
                        rx.text.strong(S.cost),
                        " credits · balance ",
                        AuthState.credits,
                        size="2",
                        color_scheme=rx.cond(short, "red", "gray"),  # type: ignore[arg-type]
                    ),
                    rx.button(
                        rx.cond(S.submitting, rx.spinner(size="2"), rx.icon("columns-3", size=18)),
                        "Compare",
                        type="submit",
                        size="3",
                        disabled=S.submitting,
                        min_width="160px",
                    ),
                    justify="between",
                    align="center",
                    spacing="4",
                    width="100%",
                ),
                spacing="4",
                width="100%",
            ),
            on_submit=S.generate,
            no_validate=True,
            width="100%",
        ),
        size={"initial": "3", "sm": "4"},
        width="100%",
    )


def _thumb(thumb: ObjectVar[Thumb]) -> rx.Component:
    return thumb_link(thumb.url, thumb.alt, f"/image/{thumb.image_id}")


def column(job: ObjectVar[JobView]) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading(
                        label_of(job),
                        as_="h2",
                        size="3",
                        trim="both",
                    ),
                    rx.cond(
                        label_of(job) != job.model_name,
                        rx.text(job.model_name, size="1", color_scheme="gray"),
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                status_badge(job.label, job.color, job.active),
                align="center",
                width="100%",
            ),
            rx.progress(value=job.percent, max=100, size="2", aria_label=job.label),
            rx.cond(
                job.message != "",
                rx.text(
                    job.message,
                    size="2",
                    color_scheme=rx.cond(job.status == "failed", "red", "gray"),  # type: ignore[arg-type]
                ),
            ),
            rx.grid(
                rx.foreach(job.thumbnails, _thumb),
                rx.foreach(
                    job.pending, lambda _: rx.box(class_name="ps-pending", aria_hidden="true")
                ),
                columns="2",
                spacing="2",
                width="100%",
            ),
            rx.hstack(
                rx.link("Open set", href=f"/sets/{job.set_id}", size="2", weight="medium"),
                rx.cond(
                    job.thumbnails.length() > 0,
                    rx.link(
                        "Remix",
                        href=f"/create?from={job.thumbnails.to(list[Thumb])[0].image_id}",
                        size="2",
                        weight="medium",
                    ),
                ),
                spacing="4",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
        aria_live="polite",
        custom_attrs={"data-testid": "compare-column", "data-job": job.job_id},
    )


def columns() -> rx.Component:
    return rx.cond(
        S.columns.length() > 0,
        rx.vstack(
            rx.hstack(
                rx.heading("Side by side", as_="h2", size="5"),
                rx.spacer(),
                rx.button(
                    rx.link("Compare again", href=S.again_url, underline="none"),
                    as_child=True,
                    variant="soft",
                ),
                align="center",
                width="100%",
            ),
            rx.grid(
                rx.foreach(S.columns, column),
                columns=rx.breakpoints(initial="1", sm="2", lg=S.columns.length().to_string()),
                custom_attrs={"data-testid": "compare-columns"},
                spacing="4",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
    )


def compare_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        signed_in_only(
            rx.vstack(
                rx.vstack(
                    rx.heading(S.heading, as_="h1", size="8"),
                    rx.text(
                        "One prompt, made several ways: models, style presets, seeds or "
                        "guidance. Each column is its own set, charged at its own price and "
                        "refunded on its own if it fails.",
                        color_scheme="gray",
                    ),
                    spacing="1",
                    padding_top="40px",
                ),
                columns(),
                compare_form(),
                spacing="5",
                width="100%",
            ),
        ),
    )
