"""`/create`: the generation form beside the live "Your jobs" panel.

Only the parameters the chosen model takes are shown; the cost preview sits next to the
balance, and Generate says why it is disabled when it is.
"""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.forms import field, form_message
from pixel_studio.components.jobs_panel import jobs_panel
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.studio import page_title, studio_styles
from pixel_studio.pages.studio.create_fields import (
    FORM,
    error_of,
    model_field,
    parameters,
    private_field,
    prompt_field,
)
from pixel_studio.state.auth import AuthState
from pixel_studio.state.create import CreateState

S = CreateState


def remix_banner() -> rx.Component:
    return rx.cond(
        S.prefill_note != "",
        rx.box(
            rx.hstack(
                rx.cond(
                    S.parent_thumb != "",
                    rx.el.img(
                        src=S.parent_thumb,
                        alt="The image being remixed",
                        class_name="ps-remix-thumb",
                    ),
                    rx.icon("repeat", size=18, color="var(--accent-11)"),
                ),
                rx.text(S.prefill_note, size="2", flex="1", color_scheme="violet"),
                rx.cond(
                    S.remixing,
                    rx.button(
                        "Start fresh",
                        size="1",
                        variant="soft",
                        on_click=S.stop_remix,
                        type="button",
                    ),
                ),
                align="center",
                spacing="3",
                width="100%",
            ),
            class_name="ps-note",
            width="100%",
        ),
    )


def cost_bar() -> rx.Component:
    m = S.selected
    # Until `load` has run (the prerendered page) the balance is not known: nothing is short.
    short = (S.cost > AuthState.credits) & S.ready
    blocked = short | ~m.available
    return rx.vstack(
        rx.flex(
            rx.hstack(
                rx.vstack(
                    rx.text("Cost", size="1", color_scheme="gray"),
                    rx.text(
                        S.cost,
                        rx.cond(S.cost == 1, " credit", " credits"),
                        size="5",
                        weight="bold",
                        class_name="ps-counter",
                    ),
                    rx.text(S.count, " × ", m.price, " per image", size="1", color_scheme="gray"),
                    spacing="0",
                ),
                rx.separator(orientation="vertical", size="2"),
                rx.vstack(
                    rx.text("Your balance", size="1", color_scheme="gray"),
                    rx.text(
                        rx.cond(S.ready, AuthState.credits, "–"),
                        " credits",
                        size="5",
                        weight="bold",
                        class_name="ps-counter",
                        color_scheme=rx.cond(short, "red", "gray"),  # type: ignore[arg-type]
                        high_contrast=~short,
                    ),
                    rx.text(
                        "after: ",
                        rx.cond(
                            short,
                            "not enough",
                            rx.cond(S.ready, (AuthState.credits - S.cost).to_string(), "–"),
                        ),
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="0",
                ),
                spacing="4",
                align="center",
            ),
            rx.button(
                rx.cond(S.submitting, rx.spinner(size="2"), rx.icon("sparkles", size=18)),
                "Generate",
                type="submit",
                size="3",
                disabled=blocked | S.submitting,
                aria_describedby=f"{FORM}-blocked",
                min_width="160px",
            ),
            justify="between",
            align={"initial": "stretch", "sm": "center"},
            direction={"initial": "column", "sm": "row"},
            spacing="4",
            width="100%",
        ),
        rx.cond(
            blocked,
            rx.text(
                rx.cond(
                    ~m.available,
                    f"{m.name} is not available here. {m.reason}",
                    "You need "
                    + (S.cost - AuthState.credits).to_string()
                    + " more credits for this. Make fewer images or pick a cheaper model.",
                ),
                id=f"{FORM}-blocked",
                size="2",
                color_scheme="red",
                role="status",
            ),
        ),
        class_name="ps-cost",
        padding="16px",
        spacing="2",
        width="100%",
    )


def create_form() -> rx.Component:
    m = S.selected
    return rx.card(
        rx.form(
            # In the prerendered HTML, so a page opened by its address shows the form at once;
            # inert until `load` has said who is signed in (typing into it before then would be
            # lost: the fields are the state's).
            rx.el.fieldset(
                rx.vstack(
                    remix_banner(),
                    form_message(S.form_error),
                    prompt_field(),
                    rx.cond(
                        m.negative_prompt,
                        field(
                            "Negative prompt",
                            "negative_prompt",
                            error_of("negative_prompt"),
                            form_id=FORM,
                            value=S.negative_prompt,
                            on_change=S.set_negative_prompt,
                            placeholder="What to leave out: blurry, text, watermark",
                        ),
                    ),
                    model_field(),
                    rx.separator(size="4"),
                    parameters(),
                    private_field(),
                    cost_bar(),
                    spacing="5",
                    width="100%",
                ),
                disabled=~S.ready,
                class_name="ps-fieldset",
            ),
            on_submit=S.generate,
            aria_busy=rx.cond(S.ready, "false", "true"),
            no_validate=True,
            width="100%",
        ),
        size={"initial": "3", "sm": "4"},
        width="100%",
    )


def create_page() -> rx.Component:
    # The title and the form are in the prerendered HTML: a page opened by its address paints
    # them before its JavaScript has loaded. The jobs panel waits until the app knows who is
    # signed in.
    return page_frame(
        studio_styles(),
        rx.vstack(
            page_title(
                "Create", "Describe an image, pick a model, and watch your set fill in live."
            ),
            rx.link(
                rx.hstack(
                    rx.icon("image-plus", size=16),
                    rx.text("Start from an image instead"),
                    spacing="2",
                    align="center",
                ),
                href="/edit",
                size="2",
                weight="medium",
            ),
            rx.grid(
                create_form(),
                signed_in_only(rx.box(jobs_panel(), class_name="ps-sticky")),
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
    )
