"""The image page's editing parts (state/edit.py):

- `edit_actions()`: Vary (subtle / strong), Inpaint, Zoom out, Upscale and "Use as start image",
  each shown only when an available model can do it (the catalog decides);
- `edit_form()`: the open action's form (model, its options, count, privacy, live cost), with
  the mask painter and the prompt for the painted region for Inpaint;
- `made_from()` and `made_from_this()`: the lineage link and the strip of images made from it.
"""

from __future__ import annotations

from typing import cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.forms import form_message, invalid_props, labelled, private_checkbox
from pixel_studio.components.image_grid import image_grid
from pixel_studio.components.mask_painter import mask_painter
from pixel_studio.components.studio import option, select_field
from pixel_studio.state.auth import AuthState
from pixel_studio.state.create_form import Choice
from pixel_studio.state.edit import EditState, LineageState
from pixel_studio.state.edit_form import DIRECTION_CHOICES, FACTOR_CHOICES, ZOOM_CHOICES

E = EditState
L = LineageState
FORM = "edit"


def error_of(name: str) -> Var[str]:
    return cast("ObjectVar[dict[str, str]]", E.errors)[name].to(str)


def _icon_label(icon: str, label: str) -> rx.Component:
    return rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="2", align="center")


def _offers(operation: str) -> Var[bool]:
    return E.offered.contains(operation)


def _action(operation: str, icon: str, label: str, on_click: object) -> rx.Component:
    return rx.cond(
        _offers(operation),
        rx.button(
            _icon_label(icon, label),
            on_click=on_click,
            size="2",
            variant=rx.cond(E.operation == operation, "solid", "soft"),  # type: ignore[arg-type]
            aria_expanded=rx.cond(E.operation == operation, "true", "false"),
        ),
    )


def edit_actions() -> rx.Component:
    """The edit buttons (signed-in viewers: an edit is a paid job of their own)."""
    return rx.cond(
        AuthState.signed_in & (E.offered.length() > 0),
        rx.vstack(
            rx.text("Edit", size="1", color_scheme="gray", weight="medium"),
            rx.flex(
                rx.cond(
                    _offers("variation"),
                    rx.fragment(
                        rx.button(
                            _icon_label("shuffle", "Vary (subtle)"),
                            on_click=E.open_vary("subtle"),  # type: ignore[operator]
                            size="2",
                            variant="soft",
                        ),
                        rx.button(
                            _icon_label("sparkles", "Vary (strong)"),
                            on_click=E.open_vary("strong"),  # type: ignore[operator]
                            size="2",
                            variant="soft",
                        ),
                    ),
                ),
                _action("inpaint", "brush", "Inpaint", E.open("inpaint")),  # type: ignore[operator]
                _action("outpaint", "expand", "Zoom out", E.open("outpaint")),  # type: ignore[operator]
                _action("upscale", "scan-search", "Upscale", E.open("upscale")),  # type: ignore[operator]
                rx.cond(
                    _offers("image-to-image"),
                    rx.button(
                        rx.link(
                            _icon_label("image-plus", "Use as start image"),
                            href=E.start_href,
                            underline="none",
                        ),
                        as_child=True,
                        size="2",
                        variant="soft",
                    ),
                ),
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
    )


def _choices(items: list[Choice]) -> list[rx.Component]:
    return [option(c.label, value=c.value) for c in items]


def _prompt_field(label: str, placeholder: str) -> rx.Component:
    error = error_of("prompt")
    return labelled(
        label,
        f"{FORM}-prompt",
        rx.text_area(
            id=f"{FORM}-prompt",
            name="prompt",
            value=E.prompt,
            on_change=E.set_prompt,
            placeholder=placeholder,
            rows="2",
            size="2",
            variant="surface",
            width="100%",
            **invalid_props(f"{FORM}-prompt", error),
        ),
        error=error,
    )


def _vary_options() -> rx.Component:
    return rx.vstack(
        select_field(
            "How far",
            f"{FORM}-vary",
            E.vary,
            E.set_vary,
            _choices([Choice("subtle", "Subtle"), Choice("strong", "Strong")]),
            error=error_of("vary"),
        ),
        _prompt_field("Prompt (optional: the image's own by default)", "Leave empty to keep it"),
        spacing="3",
        width="100%",
    )


def _inpaint_options() -> rx.Component:
    error = error_of("mask")
    return rx.vstack(
        mask_painter(
            src=E.image_url,
            alt=E.image_alt,
            natural_width=E.width,
            natural_height=E.height,
            on_change=E.set_mask,
            id_prefix="mask",
        ),
        rx.cond(
            error != "",
            rx.text(error, id="mask-error", role="alert", size="2", color_scheme="red"),
            rx.text(
                rx.cond(E.mask_painted, "Mask ready.", "Nothing painted yet."),
                size="1",
                color_scheme="gray",
                custom_attrs={"data-testid": "mask-status"},
            ),
        ),
        _prompt_field("What to paint in the marked area", "A red kite in the sky"),
        spacing="3",
        width="100%",
    )


def _zoom_options() -> rx.Component:
    return rx.grid(
        select_field(
            "Zoom out by",
            f"{FORM}-zoom",
            E.zoom,
            E.set_zoom,
            _choices(ZOOM_CHOICES),
            error=error_of("zoom"),
        ),
        select_field(
            "Which sides",
            f"{FORM}-direction",
            E.direction,
            E.set_direction,
            _choices(DIRECTION_CHOICES),
            error=error_of("direction"),
        ),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="3",
        width="100%",
    )


def _upscale_options() -> rx.Component:
    return select_field(
        "Factor",
        f"{FORM}-factor",
        E.factor,
        E.set_factor,
        _choices(FACTOR_CHOICES),
        error=error_of("factor"),
    )


def _common_fields() -> rx.Component:
    return rx.grid(
        select_field(
            "Model",
            f"{FORM}-model",
            E.model_id,
            E.set_model,
            rx.foreach(E.models, lambda m: option(m.label, value=m.id)),
            error=error_of("model"),
        ),
        rx.cond(
            E.operation != "upscale",
            select_field(
                "Images",
                f"{FORM}-count",
                E.count,
                E.set_count,
                rx.foreach(E.count_choices, lambda n: option(n, value=n)),
                error=error_of("count"),
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="3",
        width="100%",
    )


def edit_form() -> rx.Component:
    short = E.cost > AuthState.credits
    return rx.cond(
        E.operation != "",
        rx.card(
            rx.form(
                rx.vstack(
                    rx.hstack(
                        rx.heading(E.title, as_="h2", size="4", id="edit-form-title", tab_index=-1),
                        rx.spacer(),
                        rx.button(
                            rx.icon("x", size=14),
                            "Close",
                            on_click=E.close,
                            type="button",
                            size="1",
                            variant="ghost",
                            color_scheme="gray",
                        ),
                        align="center",
                        width="100%",
                    ),
                    form_message(E.form_error),
                    form_message(E.other_errors),
                    rx.match(
                        E.operation,
                        ("variation", _vary_options()),
                        ("inpaint", _inpaint_options()),
                        ("outpaint", _zoom_options()),
                        ("upscale", _upscale_options()),
                        rx.fragment(),
                    ),
                    _common_fields(),
                    private_checkbox(E.private, E.set_private, "Private: only you see the result"),
                    rx.flex(
                        rx.text(
                            "Result ",
                            rx.text.strong(E.result_size),
                            " · cost ",
                            rx.text.strong(E.cost),
                            " credits · balance ",
                            AuthState.credits,
                            size="2",
                            color_scheme=rx.cond(short, "red", "gray"),  # type: ignore[arg-type]
                            custom_attrs={"data-testid": "edit-cost"},
                        ),
                        rx.button(
                            rx.cond(E.submitting, rx.spinner(size="2"), rx.icon("play", size=16)),
                            E.submit_label,
                            type="submit",
                            size="3",
                            disabled=E.submitting,
                            min_width="140px",
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
                on_submit=E.submit,
                no_validate=True,
                width="100%",
            ),
            id="edit-form",
            size="3",
            width="100%",
        ),
    )


def made_from() -> rx.Component:
    """ "Made from <source>" (a link) when the viewer may see the source; "from an upload"."""
    return rx.cond(
        L.has_source,
        rx.link(
            rx.hstack(
                rx.el.img(
                    src=L.source_thumb,
                    alt="",
                    width="28",
                    height="28",
                    style={"borderRadius": "4px", "objectFit": "cover"},
                ),
                rx.text(
                    rx.cond(L.how != "", L.how + " · made from ", "Made from "),
                    rx.text.strong(L.source_title),
                    size="2",
                    class_name="ps-clamp-2",
                ),
                spacing="2",
                align="center",
            ),
            href=L.source_href,
            underline="hover",
            custom_attrs={"data-testid": "made-from"},
        ),
        rx.cond(
            L.how != "",
            rx.text(
                L.how,
                rx.cond(L.from_upload, " · made from an uploaded image", ""),
                size="2",
                color_scheme="gray",
            ),
        ),
    )


def made_from_this() -> rx.Component:
    return rx.cond(
        L.derived.length() > 0,
        rx.vstack(
            rx.heading("Made from this image", as_="h2", size="4"),
            image_grid(L.derived, show_creator=False, label="Made from this image"),
            spacing="3",
            width="100%",
            custom_attrs={"data-testid": "derived"},
        ),
    )
