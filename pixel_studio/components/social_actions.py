"""The image page's like button and its "Add to collection" dialog.

Both work for visitors too: their handlers send a visitor to log in and back. The dialog is
Radix's: focus moves into it, Escape closes it, Tab stays inside; each collection is a real
checkbox with its label, and the "new collection" form is a normal form (Enter submits).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.forms import invalid_props
from pixel_studio.state.collections import Choice, CollectionPickerState
from pixel_studio.state.likes import LikeButtonState

L = LikeButtonState
P = CollectionPickerState


def like_button() -> rx.Component:
    return rx.button(
        rx.icon(
            "heart",
            size=16,
            fill=rx.cond(L.liked, "currentColor", "none"),
            aria_hidden="true",
        ),
        rx.text(L.like_count, as_="span", style={"fontVariantNumeric": "tabular-nums"}),
        on_click=L.toggle,
        size="2",
        variant=rx.cond(L.liked, "solid", "soft"),
        color_scheme="crimson",
        aria_pressed=rx.cond(L.liked, "true", "false"),
        # No parentheses: a screen reader user who says the visible count must hit the name.
        aria_label=L.label + ", " + L.like_count.to_string() + " likes",
        title=L.label,
        custom_attrs={"data-testid": "like-button"},
    )


def _choice(choice: ObjectVar[Choice]) -> rx.Component:
    box_id = "collection-choice-" + choice.id.to_string()
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=choice.holds,
                on_change=lambda checked: P.toggle(choice.id, checked),  # type: ignore[operator]  # a bound event
                id=box_id,
            ),
            rx.text(choice.title, size="2", class_name="ps-clamp-2", flex="1"),
            rx.cond(choice.private, rx.icon("lock", size=14, aria_label="Private")),
            spacing="3",
            align="center",
            width="100%",
        ),
        html_for=box_id,
        width="100%",
        padding_y="6px",
    )


def _new_collection_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("New collection", html_for="new-collection-title", class_name="ps-label"),
            rx.hstack(
                rx.input(
                    id="new-collection-title",
                    name="title",
                    value=P.new_title,
                    on_change=P.set_new_title,
                    placeholder="Name",
                    max_length=100,
                    flex="1",
                    **invalid_props("new-collection-title", P.title_error),
                ),
                rx.button("Create", type="submit", size="2"),
                width="100%",
            ),
            rx.cond(
                P.title_error != "",
                rx.text(
                    P.title_error,
                    id="new-collection-title-error",
                    role="alert",
                    size="2",
                    color_scheme="red",
                ),
            ),
            rx.el.label(
                rx.hstack(
                    rx.checkbox(
                        checked=P.new_private,
                        on_change=P.set_new_private,
                        id="new-collection-private",
                    ),
                    rx.text("Private", size="2"),
                    spacing="2",
                    align="center",
                ),
                html_for="new-collection-private",
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=P.create,
        reset_on_submit=False,
        width="100%",
    )


def collection_dialog(image_id: rx.Var[int]) -> rx.Component:
    return rx.dialog.root(
        # A real trigger, so focus returns to it when the dialog closes; `open_for` decides
        # whether it opens (a visitor goes to log in instead).
        # on_click sits on the trigger, not the button: Reflex wraps a child that has its own
        # on_click in a <div>, which then becomes the trigger (not focusable, so focus could
        # not return to it on close, and a button nested in a type=button div).
        rx.dialog.trigger(
            rx.button(
                rx.icon("folder-plus", size=16, aria_hidden="true"),
                "Add to collection",
                size="2",
                variant="soft",
            ),
            on_click=P.open_for(image_id),  # type: ignore[operator]  # a bound event
        ),
        rx.dialog.content(
            rx.dialog.title("Add to collection"),
            rx.dialog.description(
                "Tick the collections this image belongs in.", size="2", color_scheme="gray"
            ),
            rx.cond(
                P.loading,
                rx.center(rx.spinner(size="2"), padding_y="16px"),
                rx.cond(
                    P.choices.length() > 0,
                    rx.scroll_area(
                        rx.vstack(rx.foreach(P.choices, _choice), spacing="0", width="100%"),
                        type="auto",
                        scrollbars="vertical",
                        max_height="260px",
                        margin_y="12px",
                    ),
                    rx.text(
                        "You have no collections yet: name your first one below.",
                        size="2",
                        color_scheme="gray",
                        padding_y="12px",
                        as_="p",
                    ),
                ),
            ),
            rx.separator(size="4", margin_bottom="12px"),
            _new_collection_form(),
            rx.flex(
                rx.dialog.close(rx.button("Done", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="16px",
            ),
            max_width="420px",
        ),
        open=P.open,
        on_open_change=P.set_open,
    )
