"""`/explore`: public images for everyone, with search, model/style filters and sorts; the
filters live in the URL (state/explore.py)."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ArrayVar

from pixel_studio.components.first_paint import first_paint_var
from pixel_studio.components.image_grid import grid_skeleton, image_grid
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame
from pixel_studio.components.native_select import native_select
from pixel_studio.components.studio import page_title, studio_styles
from pixel_studio.state.explore import ExploreState
from pixel_studio.state.image_cards import ImageCard

S = ExploreState


def search_form() -> rx.Component:
    # Uncontrolled, re-keyed on the URL's q: no event per keystroke, and it shows the search
    # a shared link or a reload brings.
    return rx.form(
        rx.hstack(
            rx.box(
                rx.el.label("Search images", html_for="explore-q", class_name="ps-sr-only"),
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    id="explore-q",
                    name="q",
                    key=S.q,
                    default_value=S.q,
                    placeholder="Search prompts and titles",
                    type="search",
                    max_length=200,
                    size="3",
                    width="100%",
                ),
                flex="1",
                min_width="0",
            ),
            rx.button("Search", type="submit", size="3"),
            spacing="2",
            width="100%",
        ),
        on_submit=S.search,
        reset_on_submit=False,
        role="search",
        width="100%",
    )


def filters() -> rx.Component:
    # Two columns on a phone, one row from `sm` up: the filters stay above the fold.
    return rx.grid(
        native_select("Model", "explore-model", S.model, S.model_options, S.set_model),
        native_select("Style", "explore-style", S.style, S.style_options, S.set_style),
        native_select("Sort", "explore-sort", S.sort, S.sort_options, S.set_sort),
        rx.cond(
            S.sort == "trending",
            native_select(
                "Time window", "explore-window", S.window, S.window_options, S.set_window
            ),
        ),
        columns=rx.breakpoints(initial="2", sm="4"),
        spacing="3",
        width="100%",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon("search-x", size=28), class_name="ps-step", width="56px", height="56px"
            ),
            rx.cond(
                S.error != "",
                rx.heading(S.error, as_="h2", size="5"),
                rx.cond(
                    S.q != "",
                    rx.heading("No images match '", S.q, "'", as_="h2", size="5"),
                    rx.heading(
                        rx.cond(S.filtered, "No images match these filters", "No images yet"),
                        as_="h2",
                        size="5",
                    ),
                ),
            ),
            rx.cond(
                S.filtered,
                rx.fragment(
                    rx.text("Try other words, or clear the filters.", color_scheme="gray"),
                    rx.button("Clear filters", variant="soft", on_click=S.clear_filters),
                ),
                rx.text("Public images appear here as people share them.", color_scheme="gray"),
            ),
            align="center",
            spacing="3",
            padding_y="48px",
        ),
        size="4",
        variant="surface",
        width="100%",
        custom_attrs={"data-testid": "explore-empty"},
    )


def results() -> rx.Component:
    # Until `load` has run, the first page fetched over plain HTTP (components/first_paint.py)
    # fills the same grid; one grid for both, so React keeps the <img> elements when the
    # socket's cards (the same page, plus anything only this viewer may see) replace it.
    prefill = first_paint_var("explore", list[ImageCard])
    shown = rx.cond(S.loaded, S.cards, prefill).to(list[ImageCard])
    return rx.box(
        _results(shown),
        width="100%",
        # Where the cards on screen came from (the first-paint prefill, then the socket).
        custom_attrs={"data-source": rx.cond(S.loaded, "socket", "prefill")},
    )


def _results(shown: ArrayVar[list[ImageCard]]) -> rx.Component:
    return rx.cond(
        S.loaded & (S.cards.length() == 0),
        empty_state(),
        rx.cond(
            shown.length() > 0,
            image_grid(
                shown,
                label="Public images",
                more=rx.cond(
                    S.loaded,
                    infinite_scroll(
                        on_visible=S.load_more_if_visible,
                        on_more=S.load_more,
                        has_more=S.has_more,
                        loading=S.loading,
                        count=S.cards.length(),
                    ),
                ),
            ),
            grid_skeleton(label="Loading public images", first_pic=True),
        ),
    )


def explore_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        rx.vstack(
            page_title("Explore", "What people are making with Pixel Studio."),
            search_form(),
            filters(),
            results(),
            spacing="5",
            width="100%",
            padding_bottom="48px",
        ),
    )
