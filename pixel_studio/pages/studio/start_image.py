"""`/edit`: image to image. The start image (one you can see, from "Use as start image", or a
file you upload), a prompt and a strength slider, the model, count and privacy, the live cost;
the "Your jobs" panel beside it fills in live (state/start_image.py).
"""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.forms import form_message, invalid_props, labelled, private_checkbox
from pixel_studio.components.jobs_panel import jobs_panel
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.studio import option, page_title, select_field, studio_styles
from pixel_studio.state.auth import AuthState
from pixel_studio.state.start_image import (
    MAX_UPLOAD_BYTES,
    UPLOAD_ID,
    UPLOAD_TYPES,
    StartImageState,
)

S = StartImageState
FORM = "start"


def error_of(name: str) -> Var[str]:
    return cast("ObjectVar[dict[str, str]]", S.errors)[name].to(str)


def _labelled_upload(label: str, *children: rx.Component, **props: Any) -> rx.Component:
    """`rx.upload.root` whose hidden file input carries the label too (as on /settings)."""
    upload = rx.upload.root(*children, aria_label=label, **props)
    for zone in upload.children:
        for child in zone.children:
            if getattr(child, "tag", None) == "input":
                child.custom_attrs["aria-label"] = label
    return upload


def _chosen_image() -> rx.Component:
    return rx.hstack(
        rx.el.img(
            src=S.source_thumb,
            alt=S.source_title,
            width="96",
            height="96",
            style={"borderRadius": "8px", "objectFit": "cover"},
        ),
        rx.vstack(
            rx.text("Starting from", size="1", color_scheme="gray"),
            rx.text(S.source_title, size="2", weight="medium", class_name="ps-clamp-2"),
            rx.text(S.source_size, size="1", color_scheme="gray"),
            rx.button(
                "Upload a file instead",
                on_click=S.use_upload,
                type="button",
                size="1",
                variant="soft",
            ),
            spacing="1",
            align="start",
        ),
        spacing="3",
        align="center",
        width="100%",
        custom_attrs={"data-testid": "start-image"},
    )


def _upload_zone() -> rx.Component:
    files = rx.selected_files(UPLOAD_ID)
    error = error_of("image")
    return rx.vstack(
        rx.el.span("Start image", class_name="ps-label"),
        _labelled_upload(
            "Upload a start image",
            rx.vstack(
                rx.hstack(
                    rx.icon("upload", size=16),
                    rx.text("Choose or drop an image", size="2", weight="medium"),
                    align="center",
                ),
                rx.text(
                    "PNG, JPEG or WebP, at most 20 MB and 16 megapixels.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="1",
            ),
            id=UPLOAD_ID,
            accept=UPLOAD_TYPES,
            max_files=1,
            multiple=False,
            max_size=MAX_UPLOAD_BYTES,
            on_drop_rejected=S.upload_rejected,
            class_name="ps-dropzone",
            width="100%",
        ),
        rx.foreach(files, lambda name: rx.text("Chosen: ", name, size="2")),
        rx.cond(
            error != "",
            rx.text(error, id=f"{FORM}-image-error", role="alert", size="2", color_scheme="red"),
        ),
        spacing="2",
        width="100%",
    )


def _prompt() -> rx.Component:
    error = error_of("prompt")
    return labelled(
        "Prompt",
        f"{FORM}-prompt",
        rx.text_area(
            id=f"{FORM}-prompt",
            name="prompt",
            value=S.prompt,
            on_change=S.set_prompt,
            placeholder="The same scene in winter, under snow",
            rows="3",
            size="3",
            variant="surface",
            width="100%",
            **invalid_props(f"{FORM}-prompt", error),
        ),
        error=error,
    )


def _strength() -> rx.Component:
    error = error_of("strength")
    return rx.vstack(
        rx.hstack(
            rx.el.label("Strength", html_for=f"{FORM}-strength", class_name="ps-label"),
            rx.spacer(),
            rx.text(S.strength_text, size="2", custom_attrs={"data-testid": "strength"}),
            width="100%",
        ),
        # A native range input: labelled by its <label>, keyboard and touch ready (Radix
        # Themes' slider leaves its thumb without a name).
        rx.el.input(
            type="range",
            id=f"{FORM}-strength",
            min="0",
            max="1",
            step="0.05",
            value=S.strength,
            on_change=S.set_strength,
            aria_valuetext=S.strength_text,
            style={"width": "100%", "accentColor": "var(--accent-9)"},
        ),
        rx.text(
            "Low keeps the start image's composition; high follows the prompt more freely.",
            size="1",
            color_scheme="gray",
        ),
        rx.cond(error != "", rx.text(error, role="alert", size="2", color_scheme="red")),
        spacing="2",
        width="100%",
    )


def start_form() -> rx.Component:
    short = S.cost > AuthState.credits
    has_file = rx.selected_files(UPLOAD_ID).length() > 0
    busy = S.submitting | (S.models.length() == 0)  # the models arrive with the page's load
    submit_content = [
        rx.cond(S.submitting, rx.spinner(size="2"), rx.icon("image-plus", size=18)),
        "Start from this image",
    ]
    return rx.card(
        rx.vstack(
            form_message(S.form_error),
            form_message(S.other_errors),
            rx.cond(S.source_id > 0, _chosen_image(), _upload_zone()),
            _prompt(),
            _strength(),
            rx.grid(
                select_field(
                    "Model",
                    f"{FORM}-model",
                    S.model_id,
                    S.set_model,
                    rx.foreach(S.models, lambda m: option(m.label, value=m.id)),
                    error=error_of("model"),
                ),
                select_field(
                    "Images",
                    f"{FORM}-count",
                    S.count,
                    S.set_count,
                    rx.foreach(S.count_choices, lambda n: option(n, value=n)),
                    error=error_of("count"),
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
            private_checkbox(S.private, S.set_private, "Private: only you see the result"),
            rx.flex(
                rx.text(
                    "Cost ",
                    rx.text.strong(S.cost),
                    " credits · balance ",
                    AuthState.credits,
                    size="2",
                    color_scheme=rx.cond(short, "red", "gray"),  # type: ignore[arg-type]
                ),
                # The file goes through the upload route, never the socket.
                rx.cond(
                    (S.source_id == 0) & has_file,
                    rx.button(
                        *submit_content,
                        size="3",
                        disabled=busy,
                        on_click=S.start_from_upload(  # type: ignore[misc]
                            rx.upload_files_chunk(upload_id=UPLOAD_ID)
                        ),
                    ),
                    rx.button(
                        *submit_content,
                        size="3",
                        disabled=busy,
                        on_click=S.start_from_image,
                    ),
                ),
                justify="between",
                align="center",
                wrap="wrap",
                spacing="3",
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        size={"initial": "3", "sm": "4"},
        width="100%",
    )


def start_image_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        signed_in_only(
            rx.vstack(
                page_title(
                    "Image to image",
                    "Start from a picture and describe what it should become.",
                ),
                rx.grid(
                    start_form(),
                    rx.box(jobs_panel(), class_name="ps-sticky"),
                    grid_template_columns=rx.breakpoints(
                        initial="minmax(0, 1fr)", lg="minmax(0, 1fr) 360px"
                    ),
                    gap="24px",
                    align_items="start",
                    width="100%",
                ),
                spacing="5",
                width="100%",
            ),
        ),
    )
