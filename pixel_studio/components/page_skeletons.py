"""Placeholders of the final size for pages whose data is on its way (issue 16: no layout
shift). Each mirrors the layout it stands in for, and is at least a screen tall, so the footer
starts below the fold instead of jumping down when the content comes.

- `image_page_skeleton(prefill)`: the image page before `ImagePageState.load`; with the
  first-paint prefill (components/first_paint.py) it already shows the title and the picture,
  at its real size and high priority (the page's LCP element).
- `comments_skeleton()`: a comment thread's rows while they load.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from pixel_studio.components.image_grid import grid_skeleton, grid_styles
from pixel_studio.components.studio import picture_stage

SKELETON_CSS = """
.ps-bar { height: 14px; border-radius: var(--radius-2); }
.ps-bar.tall { height: 28px; }
.ps-picture-skel { aspect-ratio: 1 / 1; width: 100%; }
"""


@dataclasses.dataclass(frozen=True)
class FirstImage:
    """The image page's prefill: what any visitor may see of a public image."""

    url: str
    thumb: str
    width: int
    height: int
    prompt: str
    title: str
    creator: str


def _bar(width: str, tall: bool = False) -> rx.Component:
    return rx.box(class_name="ps-skel ps-bar tall" if tall else "ps-skel ps-bar", width=width)


def comments_skeleton(rows: int = 2) -> rx.Component:
    return rx.vstack(
        *[
            rx.vstack(_bar("30%"), _bar("85%"), spacing="2", width="100%", padding_y="8px")
            for _ in range(rows)
        ],
        spacing="2",
        width="100%",
        aria_hidden="true",
        custom_attrs={"data-testid": "comments-skeleton"},
    )


def _picture(prefill: Any) -> rx.Component:
    return rx.cond(
        prefill,
        picture_stage(prefill.url, prefill.prompt, prefill.width, prefill.height),
        rx.box(
            # ps-first-pic: the head script paints the picture here while React loads.
            rx.box(class_name="ps-skel ps-picture-skel ps-first-pic"),
            class_name="ps-picture",
            width="100%",
        ),
    )


def image_page_skeleton(prefill: Any) -> rx.Component:
    """The image page's layout (pages/studio/image_page.found) with placeholders where data goes.
    `prefill` is `first_paint_var("image", FirstImage)`: an ObjectVar[FirstImage] or null."""
    return rx.vstack(
        grid_styles(),
        rx.el.style(SKELETON_CSS),
        rx.vstack(
            rx.cond(
                prefill,
                rx.heading(prefill.title, as_="h1", size="6", class_name="ps-clamp-3"),
                _bar("55%", tall=True),
            ),
            _bar("120px"),
            spacing="2",
            padding_top="32px",
            width="100%",
        ),
        rx.grid(
            rx.vstack(_picture(prefill), comments_skeleton(), spacing="5", width="100%"),
            rx.card(
                rx.vstack(_bar("40%"), _bar("100%"), _bar("90%"), _bar("70%"), spacing="4"),
                size="3",
                width="100%",
            ),
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr)", md="minmax(0, 1fr) 360px"
            ),
            gap="24px",
            align_items="start",
            width="100%",
        ),
        spacing="5",
        width="100%",
        min_height="100vh",
        aria_busy="true",
        custom_attrs={"data-testid": "image-skeleton"},
    )


def page_skeleton(label: str = "Loading", first_pic: bool = False) -> rx.Component:
    """A page whose header and grid are both on their way (a profile, a set, a collection): a
    title line and skeleton cards, a screen tall. `first_pic`: the first card may show the
    picture the head script fetched (components/first_paint.py; profiles)."""
    return rx.vstack(
        grid_styles(),
        rx.el.style(SKELETON_CSS),
        rx.vstack(_bar("40%", tall=True), _bar("25%"), spacing="3", width="100%"),
        grid_skeleton(label=label, first_pic=first_pic),
        spacing="6",
        width="100%",
        padding_top="40px",
        min_height="100vh",
        aria_busy="true",
        custom_attrs={"data-testid": "page-skeleton"},
    )
