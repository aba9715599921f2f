"""`/image/[image_id]`: the image large; beside it who made it, the prompt and parameters and
what to do with it. Visitors see public images; a private one reads as "not found".

The social layer, each part with its own state:
- `social_actions()`: the like button and "Add to collection" (components/social_actions.py);
- `comments_section()`: the comment thread, below the image (components/comments.py).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.comments import comments_thread
from pixel_studio.components.confirm_delete import confirm_delete
from pixel_studio.components.edit_panel import edit_actions, edit_form, made_from, made_from_this
from pixel_studio.components.empty_state import not_found_view
from pixel_studio.components.first_paint import first_paint_var
from pixel_studio.components.image_grid import image_grid
from pixel_studio.components.jobs_panel import jobs_panel
from pixel_studio.components.layout import page_frame
from pixel_studio.components.page_skeletons import FirstImage, image_page_skeleton
from pixel_studio.components.report import report_dialog
from pixel_studio.components.social_actions import collection_dialog, like_button
from pixel_studio.components.studio import picture_stage, studio_styles
from pixel_studio.state.auth import AuthState
from pixel_studio.state.comments import CommentsState
from pixel_studio.state.edit import EditState
from pixel_studio.state.image_page import ImagePageState
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.set_detail import Param

S = ImagePageState


# ---------------------------------------------------------------- extension points


def social_actions() -> rx.Component:
    """The like button and "Add to collection"."""
    return rx.fragment(
        like_button(),
        collection_dialog(S.image_id),
        rx.cond(~S.is_owner, report_dialog("image", S.image_id)),
    )


def comments_section() -> rx.Component:
    """The comment thread."""
    return comments_thread()


# ---------------------------------------------------------------- pieces


def _icon_label(icon: str, label: str) -> rx.Component:
    return rx.hstack(rx.icon(icon, size=16), rx.text(label), spacing="2", align="center")


def picture() -> rx.Component:
    return picture_stage(S.url, S.prompt, S.width, S.height)


def creator_line() -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.hstack(
                rx.avatar(
                    src=S.creator_avatar,
                    fallback=S.creator[:2].upper(),
                    size="3",
                    radius="full",
                    custom_attrs={"alt": ""},
                    aria_hidden="true",  # its initials would be read before the name
                ),
                rx.el.span("Creator: ", class_name="ps-sr-only"),
                rx.text(S.creator, weight="bold", size="3"),
                spacing="2",
                align="center",
            ),
            href=S.profile_href,
            underline="none",
            color_scheme="gray",
            high_contrast=True,
        ),
        rx.spacer(),
        rx.el.time(S.when, date_time=S.created_iso, font_size="var(--font-size-1)"),
        align="center",
        width="100%",
    )


def param_row(param: ObjectVar[Param]) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(param.label, min_width="96px"),
        rx.data_list.value(param.value, style={"overflowWrap": "anywhere"}),
    )


def prompt_block() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Prompt", size="1", color_scheme="gray", weight="medium"),
            rx.spacer(),
            rx.button(
                _icon_label("copy", "Copy prompt"),
                on_click=S.copy_prompt,
                size="1",
                variant="ghost",
            ),
            align="center",
            width="100%",
        ),
        rx.text(S.prompt, size="3", style={"overflowWrap": "anywhere"}),
        rx.cond(
            S.negative_prompt != "",
            rx.vstack(
                rx.text("Negative prompt", size="1", color_scheme="gray", weight="medium"),
                rx.text(S.negative_prompt, size="2", style={"overflowWrap": "anywhere"}),
                spacing="1",
                width="100%",
            ),
        ),
        spacing="2",
        width="100%",
    )


def actions() -> rx.Component:
    return rx.flex(
        rx.button(
            rx.el.a(_icon_label("download", "Download"), href=S.download_href, download=""),
            as_child=True,
            size="2",
        ),
        rx.cond(
            AuthState.signed_in,
            rx.button(
                rx.link(_icon_label("wand-sparkles", "Remix"), href=S.remix_href, underline="none"),
                as_child=True,
                size="2",
                variant="soft",
            ),
        ),
        rx.button(
            _icon_label("share-2", "Share"),
            on_click=S.copy_share_link,
            disabled=S.private,
            title=rx.cond(S.private, "Make the image public to share it", "Copy a share link"),
            size="2",
            variant="soft",
        ),
        social_actions(),
        spacing="3",
        wrap="wrap",
    )


def delete_dialog() -> rx.Component:
    return confirm_delete(
        "Delete image",
        "Delete this image?",
        "The image and its files are deleted for good, with its likes and comments.",
        S.delete_image,
        loading=S.deleting,
    )


def owner_tools() -> rx.Component:
    return rx.cond(
        S.is_owner,
        rx.vstack(
            rx.separator(size="4"),
            rx.hstack(
                rx.el.label(
                    rx.hstack(
                        rx.switch(
                            checked=S.private,
                            on_change=S.set_private,
                            disabled=S.saving_privacy,
                            id="image-private",
                        ),
                        rx.text("Private", size="2", weight="medium"),
                        spacing="2",
                        align="center",
                    ),
                    html_for="image-private",
                ),
                rx.cond(S.saving_privacy, rx.spinner(size="1")),
                rx.spacer(),
                delete_dialog(),
                align="center",
                width="100%",
            ),
            rx.text(
                rx.cond(
                    S.private,
                    "Only you can see this image.",
                    "Anyone with the link can see this image.",
                ),
                size="1",
                color_scheme="gray",
            ),
            spacing="3",
            width="100%",
        ),
    )


def details() -> rx.Component:
    return rx.card(
        rx.vstack(
            creator_line(),
            prompt_block(),
            rx.data_list.root(rx.foreach(S.params, param_row), size="2", width="100%"),
            rx.link(
                _icon_label("images", "Open its set"),
                href=S.set_href,
                size="2",
                weight="medium",
            ),
            actions(),
            edit_actions(),
            owner_tools(),
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
        class_name="ps-sticky",
    )


def more_from_set() -> rx.Component:
    # Shown once the comments above it are in: appearing below them moves nothing, while
    # being pushed down by them would (a layout shift on a desktop screen).
    return rx.cond(
        (S.siblings.length() > 0) & CommentsState.loaded,
        rx.vstack(
            rx.heading("More from this set", as_="h2", size="4"),
            image_grid(
                S.siblings, show_creator=False, label="More from this set", first_screen=False
            ),
            spacing="3",
            width="100%",
        ),
    )


def found() -> rx.Component:
    return rx.vstack(
        rx.vstack(
            rx.cond(
                S.private,
                rx.badge(rx.icon("lock", size=12), "Private", variant="soft", radius="full"),
            ),
            rx.heading(S.title, as_="h1", size="6", class_name="ps-clamp-3"),
            rx.text(
                S.model_name,
                " · ",
                rx.el.span(S.width, " × ", S.height, custom_attrs={"data-testid": "image-size"}),
                color_scheme="gray",
                size="2",
            ),
            made_from(),
            spacing="2",
            padding_top="32px",
            width="100%",
        ),
        rx.grid(
            rx.vstack(
                # Inpainting paints over the picture itself: the painter shows it instead.
                rx.cond(EditState.operation == "inpaint", rx.fragment(), picture()),
                edit_form(),
                rx.cond(AuthState.signed_in & JobsState.has_jobs, jobs_panel()),
                made_from_this(),
                comments_section(),
                spacing="5",
                width="100%",
            ),
            details(),
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr)", md="minmax(0, 1fr) 360px"
            ),
            gap="24px",
            align_items="start",
            width="100%",
        ),
        more_from_set(),
        spacing="5",
        width="100%",
        padding_bottom="32px",
    )


def not_found() -> rx.Component:
    return not_found_view("Image not found", "Go home", "/")


def image_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        rx.cond(
            S.loaded,
            rx.cond(S.found, found(), not_found()),
            image_page_skeleton(first_paint_var("image", FirstImage)),
        ),
    )
