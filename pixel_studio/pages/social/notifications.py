"""`/notifications`: who liked, commented, replied or followed, newest first; each opens
its image or profile (and is marked read on the way); mark one or all read."""

from __future__ import annotations

import reflex as rx
from reflex.vars import ObjectVar

from pixel_studio.components.empty_state import empty
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame, signed_in_only
from pixel_studio.components.studio import studio_styles
from pixel_studio.state.notifications import NotificationRow, NotificationsState

S = NotificationsState


def notification_item(row: ObjectVar[NotificationRow]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.cond(
                ~row.read,
                rx.box(
                    width="8px",
                    height="8px",
                    border_radius="50%",
                    background="var(--accent-9)",
                    flex_shrink="0",
                    title="Unread",
                ),
                rx.box(width="8px", flex_shrink="0"),
            ),
            rx.avatar(
                src=row.actor_avatar,
                fallback=row.actor.to(str)[:2].upper(),
                size="2",
                radius="full",
                aria_hidden="true",
            ),
            rx.vstack(
                rx.text(
                    rx.cond(
                        row.actor_href != "",
                        rx.link(row.actor, href=row.actor_href, weight="bold"),
                        rx.text(row.actor, as_="span", weight="bold"),
                    ),
                    " ",
                    rx.cond(
                        row.href != "",
                        rx.link(
                            row.what,
                            href=row.href,
                            on_click=S.open_item(row.id, row.href).prevent_default,  # type: ignore[operator]  # a bound event
                            color_scheme="gray",
                            high_contrast=True,
                        ),
                        rx.text(row.what, as_="span"),
                    ),
                    size="2",
                    weight=rx.cond(row.read, "regular", "medium"),
                ),
                rx.el.time(row.when, date_time=row.created_iso, font_size="var(--font-size-1)"),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.cond(
                ~row.read,
                rx.icon_button(
                    rx.icon("check", size=14),
                    variant="ghost",
                    color_scheme="gray",
                    size="1",
                    on_click=S.mark_read(row.id),  # type: ignore[operator]  # a bound event
                    aria_label="Mark as read",
                    title="Mark as read",
                ),
            ),
            align="center",
            spacing="3",
            width="100%",
        ),
        list_style="none",
        padding_y="10px",
        border_bottom="1px solid var(--gray-a4)",
        custom_attrs={"data-testid": "notification"},
    )


def notifications_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        signed_in_only(
            rx.vstack(
                rx.flex(
                    rx.heading("Notifications", as_="h1", size="8"),
                    rx.button(
                        rx.icon("check-check", size=16),
                        "Mark all read",
                        variant="soft",
                        on_click=S.mark_all_read,
                        disabled=S.unread == 0,
                    ),
                    justify="between",
                    align={"initial": "start", "sm": "end"},
                    direction={"initial": "column", "sm": "row"},
                    spacing="3",
                    padding_top="40px",
                    width="100%",
                ),
                rx.cond(
                    ~S.loaded,
                    rx.center(rx.spinner(size="3"), padding_y="80px", width="100%"),
                    rx.cond(
                        S.rows.length() > 0,
                        rx.box(
                            rx.el.ul(
                                rx.foreach(S.rows, notification_item),
                                padding="0",
                                margin="0",
                                aria_label="Notifications",
                            ),
                            infinite_scroll(
                                on_visible=S.load_more_if_visible,
                                on_more=S.load_more,
                                has_more=S.has_more,
                                loading=S.loading,
                                count=S.rows.length(),
                            ),
                            width="100%",
                        ),
                        empty(
                            "bell",
                            "Nothing yet",
                            "Likes, comments, replies and new followers show up here.",
                        ),
                    ),
                ),
                spacing="5",
                width="100%",
                max_width="720px",
                padding_bottom="32px",
            ),
        ),
    )
