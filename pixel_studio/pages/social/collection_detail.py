"""`/collections/[collection_id]`: its images (infinite scroll); for the owner: edit, make
private/public, delete (confirmed), remove an image. Anyone else asking for a private
collection gets the not-found view."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.confirm_delete import confirm_delete
from pixel_studio.components.empty_state import empty, not_found_view, private_badge
from pixel_studio.components.forms import invalid_props, labelled
from pixel_studio.components.image_grid import grid_styles, image_card
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame
from pixel_studio.components.nav import link_button
from pixel_studio.components.page_skeletons import page_skeleton
from pixel_studio.components.studio import studio_styles
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.image_cards import ImageCard

D = CollectionDetailState


def edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("pencil", size=14), "Edit", variant="soft", size="2")),
        rx.dialog.content(
            rx.dialog.title("Edit collection"),
            rx.form(
                rx.vstack(
                    labelled(
                        "Name",
                        "edit-title",
                        rx.input(
                            id="edit-title",
                            name="title",
                            default_value=D.title,
                            max_length=100,
                            width="100%",
                            **invalid_props("edit-title", D.title_error),
                        ),
                        error=D.title_error,
                    ),
                    labelled(
                        "Description",
                        "edit-description",
                        rx.text_area(
                            id="edit-description",
                            name="description",
                            default_value=D.description,
                            max_length=1000,
                            rows="3",
                            width="100%",
                            **invalid_props("edit-description", D.description_error),
                        ),
                        error=D.description_error,
                    ),
                    rx.flex(
                        rx.dialog.close(
                            rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                        ),
                        rx.button("Save", type="submit"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=D.save,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=D.edit_open,
        on_open_change=D.set_edit_open,
    )


def delete_dialog() -> rx.Component:
    return confirm_delete(
        "Delete",
        "Delete this collection?",
        "The collection goes; the images in it stay where they are.",
        D.delete_collection,
        icon_size=14,
    )


def owner_tools() -> rx.Component:
    return rx.cond(
        D.is_owner,
        rx.flex(
            edit_dialog(),
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=D.private, on_change=D.set_private, id="collection-priv"),
                    rx.text("Private", size="2", weight="medium"),
                    spacing="2",
                    align="center",
                ),
                html_for="collection-priv",
            ),
            delete_dialog(),
            spacing="4",
            align="center",
            wrap="wrap",
        ),
    )


def owned_card(card: ObjectVar[ImageCard]) -> rx.Component:
    return rx.el.li(
        image_card(card),
        rx.cond(
            D.is_owner,
            rx.button(
                rx.icon("x", size=14),
                "Remove",
                variant="ghost",
                color_scheme="gray",
                size="1",
                on_click=D.remove(card.image_id),  # type: ignore[operator]  # a bound event
                aria_label="Remove from collection: " + card.alt.to(str),
                margin_top="4px",
            ),
        ),
        list_style="none",
    )


def collection_found() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.cond(D.private, private_badge()),
            rx.heading(D.title, as_="h1", size="7", style={"overflowWrap": "anywhere"}),
            rx.cond(
                D.description != "",
                rx.text(D.description, color_scheme="gray", style={"whiteSpace": "pre-wrap"}),
            ),
            owner_tools(),
            spacing="3",
            padding_top="40px",
            width="100%",
        ),
        rx.cond(
            D.cards.length() > 0,
            rx.box(
                rx.el.ul(
                    rx.foreach(D.cards, owned_card),
                    class_name="ps-grid",
                    aria_label="Images in this collection",
                    padding="0",
                    margin="0",
                ),
                infinite_scroll(
                    on_visible=D.load_more_if_visible,
                    on_more=D.load_more,
                    has_more=D.has_more,
                    loading=D.loading,
                    count=D.cards.length(),
                ),
                width="100%",
            ),
            empty(
                "images",
                "Nothing here yet",
                "Open any image and use “Add to collection” to put it here.",
                link_button("Explore images", "/explore", variant="soft"),
            ),
        ),
        spacing="5",
        width="100%",
        padding_bottom="32px",
    )


def collection_not_found() -> rx.Component:
    return not_found_view("Collection not found", "Go home", "/")


def collection_detail_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        grid_styles(),
        rx.cond(
            D.loaded,
            rx.cond(D.found, collection_found(), collection_not_found()),
            page_skeleton(),
        ),
    )
