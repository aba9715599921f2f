"""`/feed`: public images of the people you follow, newest first (state/feed.py)."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.image_grid import grid_skeleton, image_grid
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.nav import link_button
from pixel_studio.components.studio import page_title
from pixel_studio.state.feed import FeedState

S = FeedState


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(rx.icon("users", size=28), class_name="ps-step", width="56px", height="56px"),
            rx.heading("Your feed is empty", as_="h2", size="5"),
            rx.text(
                "Follow people whose images you like: their new public images show up here.",
                color_scheme="gray",
                align="center",
            ),
            link_button("Find people on Explore", "/explore"),
            align="center",
            spacing="3",
            padding_y="48px",
        ),
        size="4",
        variant="surface",
        width="100%",
        custom_attrs={"data-testid": "feed-empty"},
    )


def feed_page() -> rx.Component:
    return page_frame(
        signed_in_only(
            rx.vstack(
                page_title("Your feed", "New images from the people you follow."),
                rx.cond(
                    ~S.loaded,
                    grid_skeleton(),
                    rx.cond(
                        S.cards.length() > 0,
                        image_grid(
                            S.cards,
                            label="Images from people you follow",
                            more=infinite_scroll(
                                on_visible=S.load_more_if_visible,
                                on_more=S.load_more,
                                has_more=S.has_more,
                                loading=S.loading,
                                count=S.cards.length(),
                            ),
                        ),
                        empty_state(),
                    ),
                ),
                spacing="5",
                width="100%",
                padding_bottom="48px",
            ),
        ),
    )
