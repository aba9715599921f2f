"""`/sets/[set_id]`: a set's images large, its prompt and parameters, and what to do next."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.confirm_delete import confirm_delete
from pixel_studio.components.empty_state import not_found_view
from pixel_studio.components.layout import page_frame
from pixel_studio.components.nav import link_button
from pixel_studio.components.page_skeletons import page_skeleton
from pixel_studio.components.studio import status_badge, studio_styles
from pixel_studio.state.auth import AuthState
from pixel_studio.state.set_detail import Param, Picture, SetDetailState

S = SetDetailState


def picture(pic: ObjectVar[Picture]) -> rx.Component:
    return rx.vstack(
        rx.link(
            rx.el.img(
                # One picture fills the column: show the original; several: the thumbnails.
                src=rx.cond(S.pictures.length() == 1, pic.url, pic.thumb),
                alt=pic.alt,
                loading="lazy",
                decoding="async",
            ),
            # The image page (details, download, share), never the raw file.
            href=f"/image/{pic.image_id}",
            class_name="ps-picture",
            width="100%",
            display="block",
            title="Open the image page",
        ),
        rx.hstack(
            rx.text(
                pic.size,
                rx.cond(pic.seed != "", f" · seed {pic.seed}", ""),
                size="1",
                color_scheme="gray",
            ),
            rx.spacer(),
            rx.cond(
                AuthState.signed_in,
                rx.button(
                    rx.link(
                        rx.hstack(
                            rx.icon("wand-sparkles", size=14),
                            rx.text("Remix"),
                            spacing="1",
                            align="center",
                        ),
                        href=f"/create?from={pic.image_id}",
                        underline="none",
                    ),
                    as_child=True,
                    size="1",
                    variant="soft",
                ),
            ),
            align="center",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def param_row(param: ObjectVar[Param]) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(param.label, min_width="96px"),
        rx.data_list.value(param.value, style={"overflowWrap": "anywhere"}),
    )


def delete_dialog() -> rx.Component:
    return confirm_delete(
        "Delete set",
        "Delete this set?",
        "Its images and their files are deleted for good. A job still running is "
        "cancelled and the images not made are refunded.",
        S.delete_set,
        loading=S.deleting,
    )


def progress() -> rx.Component:
    return rx.cond(
        S.active,
        rx.vstack(
            rx.progress(value=S.percent, max=100, size="2", aria_label=f"Progress: {S.label}"),
            rx.text("Images appear here as they finish.", size="1", color_scheme="gray"),
            spacing="1",
            width="100%",
        ),
    )


def details() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(S.label != "", status_badge(S.label, S.color, S.active)),
                rx.spacer(),
                rx.text(S.when, size="1", color_scheme="gray"),
                align="center",
                width="100%",
            ),
            progress(),
            rx.cond(
                S.message != "",
                rx.callout(
                    S.message,
                    icon="info",
                    color_scheme=rx.cond(S.status == "failed", "red", "amber"),  # type: ignore[arg-type]
                    size="1",
                    width="100%",
                ),
            ),
            rx.vstack(
                rx.text("Prompt", size="1", color_scheme="gray", weight="medium"),
                rx.text(S.prompt, size="3", style={"overflowWrap": "anywhere"}),
                spacing="1",
                width="100%",
            ),
            rx.data_list.root(rx.foreach(S.params, param_row), size="2", width="100%"),
            rx.cond(
                AuthState.signed_in,
                rx.flex(
                    link_button("Run again", f"/create?set={S.shown_set_id}", size="2"),
                    rx.cond(S.is_owner, delete_dialog()),
                    spacing="3",
                    wrap="wrap",
                ),
            ),
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
        class_name="ps-sticky",
    )


def pictures() -> rx.Component:
    return rx.cond(
        S.pictures.length() > 0,
        rx.box(
            rx.foreach(S.pictures, picture),
            class_name=rx.cond(S.pictures.length() == 1, "ps-pictures one", "ps-pictures"),
            width="100%",
        ),
        rx.card(
            rx.center(
                rx.vstack(
                    rx.icon("image", size=28, color="var(--gray-a8)"),
                    rx.text(
                        rx.cond(
                            S.active, "The first image is on its way…", "This set has no images."
                        ),
                        color_scheme="gray",
                        size="2",
                    ),
                    align="center",
                    spacing="2",
                ),
                padding_y="64px",
            ),
            width="100%",
        ),
    )


def found() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.link(
                rx.hstack(
                    rx.icon("arrow-left", size=14),
                    rx.text("Your sets"),
                    spacing="1",
                    align="center",
                ),
                href="/sets",
                size="2",
                color_scheme="gray",
            ),
            rx.heading(S.prompt, as_="h1", size="6", class_name="ps-clamp-3"),
            rx.text(S.model_name, color_scheme="gray", size="2"),
            spacing="2",
            padding_top="32px",
            width="100%",
        ),
        rx.grid(
            pictures(),
            details(),
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr)", md="minmax(0, 1fr) 340px"
            ),
            gap="24px",
            align_items="start",
            width="100%",
        ),
        spacing="5",
        width="100%",
    )


def not_found() -> rx.Component:
    return not_found_view("Set not found", "Back to your sets", "/sets")


def set_detail_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        rx.cond(
            S.loaded,
            rx.cond(S.found, found(), not_found()),
            page_skeleton(),
        ),
    )
