"""Infinite scroll for paged grids: a sentinel that asks for the next page as it nears the
viewport, and a real "Load more" button for keyboards, screen readers and tests.

Reflex has no built-in: `InView` wraps the npm package `react-intersection-observer` (bun
installs it from the npm registry; the version is pinned here and frozen in reflex.lock/).

Usage, in a page whose state pages by keyset cursor:

    class ExploreState(rx.State):
        cards: list[ImageCard] = []
        has_more: bool = False
        loading: bool = False

        @rx.event
        async def load_more(self): ...            # no arguments: the button calls it

        @rx.event
        async def load_more_if_visible(self, visible: bool):
            if visible:                           # the sentinel left the viewport too
                return ExploreState.load_more     # chain, or do the work here

    image_grid(
        S.cards,
        more=infinite_scroll(
            on_visible=S.load_more_if_visible,
            on_more=S.load_more,
            has_more=S.has_more,
            loading=S.loading,
            count=S.cards.length(),
        ),
    )

The sentinel is re-created whenever `count` changes, so a page that is still shorter than the
screen after a load asks again at once (an observer only reports *changes* of visibility).
It is skipped while loading and once there is nothing more.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.components.component import Component
from reflex.event import EventHandler, passthrough_event_spec
from reflex.vars import Var

# Pinned: reflex.lock/ records it, so every install is the same.
INTERSECTION_OBSERVER = "react-intersection-observer@11.0.1"


class InView(Component):
    """`<InView>` from react-intersection-observer: reports when its box enters or leaves
    the viewport (`on_change(in_view: bool)`)."""

    library = INTERSECTION_OBSERVER
    tag = "InView"

    # How far outside the viewport counts as visible ("600px": start loading early).
    root_margin: Var[str]
    # Fraction of the box that must be visible, 0..1.
    threshold: Var[float]
    # Stop observing (nothing to load, or a load under way).
    skip: Var[bool]
    # Report the first change only.
    trigger_once: Var[bool]

    # Reflex's own components declare triggers this way; mypy cannot read a call as a type.
    on_change: EventHandler[passthrough_event_spec(bool)]  # type: ignore[type-arg,valid-type]


def infinite_scroll(
    *,
    on_visible: Any,
    on_more: Any,
    has_more: Var[bool],
    loading: Var[bool],
    count: Var[int],
    label: str = "Load more",
) -> rx.Component:
    """The sentinel plus the "Load more" button, shown while `has_more`.

    `on_visible` is an event handler taking one bool (the sentinel's visibility); `on_more`
    one without arguments (the button). Both should load the next page and set `loading`.
    """
    return rx.cond(
        has_more,
        rx.vstack(
            InView.create(
                rx.box(height="1px", width="100%"),
                on_change=on_visible,
                root_margin="600px 0px",
                skip=loading,
                # A new element (new key) per page: observed afresh, see the module docstring.
                key=count.to_string(),
                aria_hidden="true",
                width="100%",
            ),
            rx.button(
                rx.cond(loading, rx.spinner(size="2"), rx.fragment()),
                label,
                on_click=on_more,
                disabled=loading,
                variant="soft",
                size="3",
            ),
            align="center",
            spacing="3",
            padding_top="24px",
            width="100%",
        ),
    )
