"""`/collections` (my collections as cards, and a new one) and `/collections/[collection_id]`
(its images; for the owner: edit, private/public, delete, remove an image)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.forms import invalid_props, labelled
from pixel_studio.components.image_grid import grid_styles, image_card
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import link_button, page_frame, signed_in_only
from pixel_studio.components.studio import studio_styles
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionCard, CollectionsState
from pixel_studio.state.image_cards import ImageCard

L = CollectionsState
D = CollectionDetailState


def private_badge() -> rx.Component:
    return rx.badge(rx.icon("lock", size=12), "Private", variant="soft", radius="full")


def empty(icon: str, title: str, text: str, action: rx.Component | None = None) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(rx.icon(icon, size=28), class_name="ps-step", width="56px", height="56px"),
            rx.heading(title, as_="h2", size="5"),
            rx.text(text, color_scheme="gray", size="2", align="center"),
            action if action is not None else rx.fragment(),
            align="center",
            spacing="3",
            padding_y="48px",
        ),
        size="4",
        variant="surface",
        width="100%",
    )


# ---------------------------------------------------------------- /collections


def collection_card(card: ObjectVar[CollectionCard]) -> rx.Component:
    return rx.el.a(
        rx.box(
            rx.cond(
                card.cover != "",
                rx.el.img(src=card.cover, alt=card.cover_alt, loading="lazy", decoding="async"),
                rx.center(
                    rx.icon("folder", size=32, color="var(--gray-a8)", aria_hidden="true"),
                    height="100%",
                ),
            ),
            rx.cond(
                card.private,
                rx.badge(
                    rx.icon("lock", size=12),
                    "Private",
                    variant="solid",
                    color_scheme="gray",
                    high_contrast=True,
                    radius="full",
                    class_name="ps-card-badge",
                ),
            ),
            class_name="ps-card-pic",
        ),
        rx.box(
            rx.el.span(card.title, class_name="ps-card-creator", font_weight="500"),
            rx.el.span(
                card.count,
                rx.cond(card.count == 1, " image", " images"),
                class_name="ps-card-count",
            ),
            class_name="ps-card-meta",
        ),
        href=card.href,
        class_name="ps-card",
        custom_attrs={"data-testid": "collection-card"},
    )


def create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), "New collection", size="3")),
        rx.dialog.content(
            rx.dialog.title("New collection"),
            rx.form(
                rx.vstack(
                    labelled(
                        "Name",
                        "collection-title",
                        rx.input(
                            id="collection-title",
                            name="title",
                            max_length=100,
                            width="100%",
                            **invalid_props("collection-title", L.title_error),
                        ),
                        error=L.title_error,
                    ),
                    labelled(
                        "Description (optional)",
                        "collection-description",
                        rx.text_area(
                            id="collection-description",
                            name="description",
                            max_length=1000,
                            rows="3",
                            width="100%",
                            **invalid_props("collection-description", L.description_error),
                        ),
                        error=L.description_error,
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(name="private", id="collection-private"),
                            rx.text("Private: only you can see it", size="2"),
                            spacing="2",
                            align="center",
                        ),
                        html_for="collection-private",
                    ),
                    rx.flex(
                        rx.dialog.close(
                            rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                        ),
                        rx.button("Create", type="submit"),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=L.create,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=L.create_open,
        on_open_change=L.set_create_open,
    )


def collections_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        grid_styles(),
        signed_in_only(
            rx.vstack(
                rx.flex(
                    rx.vstack(
                        rx.heading("Your collections", as_="h1", size="8"),
                        rx.text("Images you gathered, yours and others'.", color_scheme="gray"),
                        spacing="1",
                    ),
                    create_dialog(),
                    justify="between",
                    align={"initial": "start", "sm": "end"},
                    direction={"initial": "column", "sm": "row"},
                    spacing="4",
                    padding_top="40px",
                    width="100%",
                ),
                rx.cond(
                    ~L.loaded,
                    rx.center(rx.spinner(size="3"), padding_y="80px", width="100%"),
                    rx.cond(
                        L.cards.length() > 0,
                        rx.box(
                            rx.el.ul(
                                rx.foreach(
                                    L.cards,
                                    lambda c: rx.el.li(collection_card(c), list_style="none"),
                                ),
                                class_name="ps-grid",
                                aria_label="Collections",
                                padding="0",
                                margin="0",
                            ),
                            infinite_scroll(
                                on_visible=L.load_more_if_visible,
                                on_more=L.load_more,
                                has_more=L.has_more,
                                loading=L.loading,
                                count=L.cards.length(),
                            ),
                            width="100%",
                        ),
                        empty(
                            "folder-plus",
                            "No collections yet",
                            "Make one here, or use “Add to collection” on any image.",
                        ),
                    ),
                ),
                spacing="5",
                width="100%",
                padding_bottom="32px",
            ),
        ),
    )


# ---------------------------------------------------------------- /collections/[id]


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
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button(
                rx.icon("trash-2", size=14), "Delete", variant="soft", color_scheme="red", size="2"
            ),
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this collection?"),
            rx.alert_dialog.description(
                "The collection goes; the images in it stay where they are.", size="2"
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Keep it", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button("Delete", color_scheme="red", on_click=D.delete_collection)
                ),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
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
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon("search-x", size=28), class_name="ps-step", width="56px", height="56px"
            ),
            rx.heading("Collection not found", as_="h1", size="6"),
            rx.text("It does not exist, was deleted, or is private.", color_scheme="gray"),
            link_button("Go home", "/", variant="soft"),
            align="center",
            spacing="3",
        ),
        padding_y="96px",
    )


def collection_detail_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        grid_styles(),
        rx.cond(
            D.loaded,
            rx.cond(D.found, collection_found(), collection_not_found()),
            rx.center(rx.spinner(size="3"), padding_y="120px", aria_label="Loading"),
        ),
    )
