"""`/collections`: my collections as cards (cover, title, count, private badge), and a new
one. One collection's page is pages/social/collection_detail.py."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.empty_state import empty
from pixel_studio.components.forms import invalid_props, labelled
from pixel_studio.components.image_grid import card_private_badge, grid_skeleton, grid_styles
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.studio import studio_styles
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionCard, CollectionsState

L = CollectionsState
D = CollectionDetailState


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
            card_private_badge(card.private),
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
                    grid_skeleton(label="Loading collections"),
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
