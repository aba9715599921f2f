"""`/likes`: the images I liked, newest like first, as a grid with infinite scroll."""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.empty_state import empty
from pixel_studio.components.image_grid import grid_skeleton, image_grid
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.nav import link_button
from pixel_studio.components.studio import page_title, studio_styles
from pixel_studio.state.likes import LikedImagesState

S = LikedImagesState


def likes_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        signed_in_only(
            rx.vstack(
                page_title("Your likes", "Images you liked, the latest first."),
                rx.cond(
                    ~S.loaded,
                    grid_skeleton(),
                    rx.cond(
                        S.cards.length() > 0,
                        image_grid(
                            S.cards,
                            show_creator=False,
                            label="Liked images",
                            more=infinite_scroll(
                                on_visible=S.load_more_if_visible,
                                on_more=S.load_more,
                                has_more=S.has_more,
                                loading=S.loading,
                                count=S.cards.length(),
                            ),
                        ),
                        empty(
                            "heart",
                            "No likes yet",
                            "Tap the heart on an image you love: it will be kept here.",
                            link_button("Explore images", "/explore", variant="soft"),
                        ),
                    ),
                ),
                spacing="5",
                width="100%",
                padding_bottom="32px",
            ),
        ),
    )
