"""`/sets`: the user's sets newest first, as picture cards, with search (prompt, seed, date
range), a model filter and "Load more"."""

from __future__ import annotations

from typing import Any, cast

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.forms import invalid_props, labelled
from pixel_studio.components.image_grid import grid_skeleton
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.nav import link_button
from pixel_studio.components.studio import status_badge, studio_styles
from pixel_studio.state.job_views import Thumb
from pixel_studio.state.sets import SetCard, SetsState

S = SetsState


def _cover_image(thumb: ObjectVar[Thumb]) -> rx.Component:
    return rx.el.img(src=thumb.url, alt=thumb.alt, loading="lazy", decoding="async")


def cover(card: ObjectVar[SetCard]) -> rx.Component:
    count = card.thumbnails.length()
    return rx.cond(
        count > 0,
        rx.box(
            rx.foreach(card.thumbnails, _cover_image),
            class_name="ps-set-cover n" + count.to_string(),
        ),
        rx.center(
            rx.cond(
                card.status == "queued",
                rx.icon("hourglass", size=28, color="var(--gray-a8)"),
                rx.cond(
                    card.status == "running",
                    rx.spinner(size="3"),
                    rx.icon("image-off", size=28, color="var(--gray-a8)"),
                ),
            ),
            class_name="ps-set-cover n1",
        ),
    )


def set_card(card: ObjectVar[SetCard]) -> rx.Component:
    active = (card.status == "queued") | (card.status == "running")
    return rx.link(
        rx.card(
            rx.vstack(
                cover(card),
                rx.text(
                    card.prompt,
                    size="2",
                    weight="medium",
                    class_name="ps-clamp-2",
                    high_contrast=True,
                ),
                rx.hstack(
                    status_badge(card.label, card.color, active),
                    rx.text(card.image_count, "/", card.total, size="1", color_scheme="gray"),
                    rx.spacer(),
                    rx.text(card.when, size="1", color_scheme="gray"),
                    align="center",
                    spacing="2",
                    width="100%",
                ),
                rx.text(
                    card.model_name, size="1", color_scheme="gray", truncate=True, width="100%"
                ),
                spacing="2",
                width="100%",
            ),
            size="2",
            class_name="ps-set-card",
            height="100%",
        ),
        href=f"/sets/{card.set_id}",
        underline="none",
        color_scheme="gray",
    )


def _error_of(name: str) -> Var[str]:
    return cast("ObjectVar[dict[str, str]]", S.errors)[name].to(str)


def _small_field(
    label: str, input_id: str, name: str, value: Var[str], on_change: Any, **props: Any
) -> rx.Component:
    error = _error_of(name)
    return rx.box(
        labelled(
            label,
            input_id,
            rx.input(
                id=input_id,
                name=name,
                value=value,
                on_change=on_change,
                size="3",
                width="100%",
                **invalid_props(input_id, error),
                **props,
            ),
            error=error,
        ),
        width=rx.breakpoints(initial="100%", sm="170px"),
    )


def filters() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.flex(
                rx.box(
                    rx.el.label("Search prompts", html_for="sets-query", class_name="ps-sr-only"),
                    rx.input(
                        rx.input.slot(rx.icon("search", size=16)),
                        id="sets-query",
                        name="q",
                        value=S.query,
                        on_change=S.set_query,  # kept as typed; the form's submit searches
                        placeholder="Search your prompts",
                        type="search",
                        size="3",
                        width="100%",
                    ),
                    flex="1",
                    min_width="0",
                ),
                rx.box(
                    rx.el.label("Model", html_for="sets-model", class_name="ps-sr-only"),
                    rx.select.root(
                        rx.select.trigger(id="sets-model", width="100%"),
                        rx.select.content(
                            rx.foreach(
                                S.model_options,
                                lambda o: rx.select.item(o.label, value=o.value),
                            ),
                            position="popper",
                        ),
                        value=S.model,
                        on_change=S.set_model,
                        size="3",
                    ),
                    width=rx.breakpoints(initial="100%", sm="240px"),
                ),
                direction={"initial": "column", "sm": "row"},
                spacing="3",
                width="100%",
            ),
            rx.flex(
                _small_field(
                    "Seed",
                    "sets-seed",
                    "seed",
                    S.seed,
                    S.set_seed,
                    placeholder="any",
                    input_mode="numeric",
                ),
                _small_field(
                    "From", "sets-from", "from", S.date_from, S.set_date_from, type="date"
                ),
                _small_field("To", "sets-to", "to", S.date_to, S.set_date_to, type="date"),
                # Level with the inputs, under a blank label: aligned to the row's end, the
                # button moved whenever an error under a field came or went, and a correction
                # flushed at the button's mousedown (the input's blur) cleared the error and
                # moved the button away before the mouseup: the click was lost.
                rx.flex(
                    rx.el.span(
                        "\u00a0",
                        class_name="ps-label",
                        aria_hidden="true",
                        display={"initial": "none", "sm": "block"},
                    ),
                    rx.button(rx.icon("search", size=16), "Search", type="submit", size="3"),
                    direction="column",
                    spacing="1",
                ),
                direction={"initial": "column", "sm": "row"},
                align={"initial": "stretch", "sm": "start"},
                spacing="3",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        on_submit=S.search,
        no_validate=True,
        role="search",
        width="100%",
    )


def empty_state() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon("images", size=28), class_name="ps-step", width="56px", height="56px"
            ),
            rx.cond(
                S.filtered,
                rx.fragment(
                    rx.heading("No sets match", as_="h2", size="5"),
                    rx.text(
                        "Try other words, another model, seed or dates.",
                        color_scheme="gray",
                        size="2",
                    ),
                    rx.button("Clear filters", variant="soft", on_click=S.clear_filters),
                ),
                rx.fragment(
                    rx.heading("No sets yet", as_="h2", size="5"),
                    rx.text(
                        "Each prompt you generate becomes a set of images, kept here.",
                        color_scheme="gray",
                        size="2",
                        align="center",
                    ),
                    link_button("Create your first set", "/create"),
                ),
            ),
            align="center",
            spacing="3",
            padding_y="48px",
        ),
        size="4",
        variant="surface",
        width="100%",
    )


def sets_grid() -> rx.Component:
    return rx.vstack(
        rx.grid(
            rx.foreach(S.cards, set_card),
            columns=rx.breakpoints(initial="1", xs="2", md="3", lg="4"),
            spacing="4",
            width="100%",
        ),
        infinite_scroll(
            on_visible=S.load_more_if_visible,
            on_more=S.load_more,
            has_more=S.has_more,
            loading=S.loading,
            count=S.cards.length(),
        ),
        spacing="5",
        width="100%",
    )


def sets_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        signed_in_only(
            rx.vstack(
                rx.flex(
                    rx.vstack(
                        rx.heading("Your sets", as_="h1", size="8"),
                        rx.text(
                            "Everything you have generated, newest first.", color_scheme="gray"
                        ),
                        spacing="1",
                    ),
                    link_button("New set", "/create", size="3"),
                    justify="between",
                    align={"initial": "start", "sm": "end"},
                    direction={"initial": "column", "sm": "row"},
                    spacing="4",
                    padding_top="40px",
                    width="100%",
                ),
                filters(),
                rx.cond(
                    ~S.loaded,
                    grid_skeleton(label="Loading sets"),
                    rx.cond(S.cards.length() > 0, sets_grid(), empty_state()),
                ),
                spacing="5",
                width="100%",
            ),
        ),
    )
