"""The comment thread of the image page: the form, then every comment in reading order,
replies indented under their parent (to a capped depth), each with like / reply / delete.

The list is an `<ol>` of `<article>`s, each with its author link and `<time>`; a deleted
comment that still has replies keeps its place as "deleted". Reply forms open inline under
their comment and take focus; Escape-free: "Cancel" closes them.
"""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.forms import invalid_props
from pixel_studio.components.page_skeletons import comments_skeleton
from pixel_studio.components.report import report_dialog
from pixel_studio.state.auth import AuthState
from pixel_studio.state.comments import CommentRow, CommentsState

C = CommentsState


def _error(text: rx.Var[str], input_id: str) -> rx.Component:
    return rx.cond(
        text != "",
        rx.text(text, id=f"{input_id}-error", role="alert", size="2", color_scheme="red"),
    )


def comment_form() -> rx.Component:
    return rx.cond(
        AuthState.signed_in,
        rx.form(
            rx.vstack(
                rx.el.label("Add a comment", html_for="comment-body", class_name="ps-sr-only"),
                rx.text_area(
                    id="comment-body",
                    name="body",
                    value=C.body,
                    on_change=C.set_body,
                    placeholder="Add a comment…",
                    rows="3",
                    max_length=2000,
                    width="100%",
                    **invalid_props("comment-body", C.body_error),
                ),
                _error(C.body_error, "comment-body"),
                rx.button("Post comment", type="submit", loading=C.posting, size="2"),
                align="end",
                spacing="2",
                width="100%",
            ),
            on_submit=C.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text(
            rx.link("Log in", href="/login"),
            " to comment.",
            size="2",
            color_scheme="gray",
        ),
    )


def reply_form(row: ObjectVar[CommentRow]) -> rx.Component:
    input_id = "reply-" + row.id.to_string()
    return rx.form(
        rx.vstack(
            rx.el.label("Reply to ", row.username, html_for=input_id, class_name="ps-sr-only"),
            rx.text_area(
                id=input_id,
                name="reply_body",
                value=C.reply_body,
                on_change=C.set_reply_body,
                placeholder="Write a reply…",
                rows="2",
                max_length=2000,
                width="100%",
                color_scheme=rx.cond(C.reply_error != "", "red", "gray"),
                aria_invalid=rx.cond(C.reply_error != "", "true", "false"),
            ),
            _error(C.reply_error, "reply"),
            rx.hstack(
                rx.button(
                    "Cancel",
                    type="button",
                    variant="soft",
                    color_scheme="gray",
                    size="1",
                    on_click=C.cancel_reply,
                ),
                rx.button("Reply", type="submit", loading=C.posting, size="1"),
                spacing="2",
            ),
            align="end",
            spacing="2",
            width="100%",
        ),
        on_submit=C.submit_reply,
        reset_on_submit=False,
        width="100%",
        padding_top="8px",
    )


def _action(label: str, icon: str, **props: object) -> rx.Component:
    return rx.button(
        rx.icon(icon, size=14, aria_hidden="true"),
        label,
        variant="ghost",
        color_scheme="gray",
        size="1",
        **props,  # type: ignore[arg-type]
    )


def comment_item(row: ObjectVar[CommentRow]) -> rx.Component:
    author = rx.cond(
        row.deleted,
        rx.text("deleted", size="2", color_scheme="gray", style={"fontStyle": "italic"}),
        rx.link(
            rx.hstack(
                rx.avatar(
                    src=row.avatar,
                    fallback=row.username.to(str)[:2].upper(),
                    size="1",
                    radius="full",
                    aria_hidden="true",
                ),
                rx.text(row.username, size="2", weight="bold"),
                spacing="2",
                align="center",
            ),
            href=row.profile_href,
            underline="none",
            color_scheme="gray",
            high_contrast=True,
        ),
    )
    actions = rx.cond(
        row.deleted,
        rx.fragment(),
        rx.hstack(
            rx.button(
                rx.icon(
                    "heart",
                    size=14,
                    fill=rx.cond(row.liked, "currentColor", "none"),
                    aria_hidden="true",
                ),
                row.like_count,
                variant="ghost",
                color_scheme=rx.cond(row.liked, "crimson", "gray"),
                size="1",
                on_click=C.toggle_like(row.id),  # type: ignore[operator]  # a bound event
                aria_pressed=rx.cond(row.liked, "true", "false"),
                aria_label=rx.cond(row.liked, "Unlike comment", "Like comment"),
            ),
            _action("Reply", "reply", on_click=C.start_reply(row.id)),  # type: ignore[operator]  # a bound event
            rx.cond(
                row.mine,
                _action("Delete", "trash-2", on_click=C.delete(row.id)),  # type: ignore[operator]  # a bound event
                report_dialog("comment", row.id),
            ),
            spacing="4",
            align="center",
        ),
    )
    return rx.el.li(
        rx.el.article(
            rx.vstack(
                rx.hstack(
                    author,
                    rx.cond(
                        row.replying_to != "",
                        rx.text("↪ ", row.replying_to, size="1", color_scheme="gray"),
                    ),
                    rx.spacer(),
                    rx.el.time(row.when, date_time=row.created_iso, font_size="var(--font-size-1)"),
                    align="center",
                    width="100%",
                ),
                rx.cond(
                    row.deleted,
                    rx.text(
                        "This comment was deleted.",
                        size="2",
                        color_scheme="gray",
                        style={"fontStyle": "italic"},
                    ),
                    rx.text(
                        row.body,
                        size="2",
                        style={"overflowWrap": "anywhere", "whiteSpace": "pre-wrap"},
                    ),
                ),
                actions,
                rx.cond(C.reply_to == row.id, reply_form(row)),
                spacing="1",
                width="100%",
            ),
            id="comment-" + row.id.to_string(),
            custom_attrs={"data-testid": "comment"},
        ),
        list_style="none",
        margin_left=row.indent,
        padding_left=rx.cond(row.indent != "0px", "12px", "0"),
        border_left=rx.cond(row.indent != "0px", "2px solid var(--gray-a5)", "none"),
        padding_y="8px",
        min_width="0",
    )


def comments_thread() -> rx.Component:
    return rx.vstack(
        rx.heading(
            "Comments",
            rx.cond(C.count > 0, rx.text(" (", C.count, ")", as_="span", color_scheme="gray")),
            as_="h2",
            size="4",
        ),
        comment_form(),
        rx.cond(
            ~C.loaded,
            comments_skeleton(),
            rx.cond(
                C.rows.length() > 0,
                rx.el.ol(
                    rx.foreach(C.rows, comment_item),
                    padding="0",
                    margin="0",
                    width="100%",
                    aria_label="Comments",
                ),
                rx.text(
                    "No comments yet. Be the first to say something.",
                    size="2",
                    color_scheme="gray",
                    padding_y="12px",
                ),
            ),
        ),
        rx.cond(
            C.truncated,
            rx.text("Only the oldest comments are shown.", size="1", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        id="comments",
    )
