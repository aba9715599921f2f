"""`/u/[profile_name]` (a profile: header, images, sets, collections) and its
`/followers` and `/following` lists (state/profile.py, state/follow_list.py)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.components.first_paint import drop_early_picture
from pixel_studio.components.image_grid import grid_skeleton, image_grid
from pixel_studio.components.infinite_scroll import infinite_scroll
from pixel_studio.components.layout import page_frame
from pixel_studio.components.page_skeletons import page_skeleton
from pixel_studio.components.report import report_dialog
from pixel_studio.components.studio import studio_styles
from pixel_studio.state.follow_list import FollowListState, PersonRow
from pixel_studio.state.profile import CollectionTile, ProfileState, SetTile

S = ProfileState
F = FollowListState

TILE_CSS = """
.ps-tiles { display: grid; gap: 16px; padding: 0; margin: 0;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 220px), 1fr)); }
.ps-tile { display: flex; flex-direction: column; gap: 6px; color: inherit;
  text-decoration: none; border-radius: var(--radius-4); }
.ps-tile:focus-visible { outline: 2px solid var(--accent-8); outline-offset: 3px; }
.ps-tile-pic { aspect-ratio: 1 / 1; overflow: hidden; border-radius: var(--radius-4);
  background: var(--gray-a3); box-shadow: 0 0 0 1px var(--gray-a4); display: grid;
  grid-template-columns: repeat(2, 1fr); }
.ps-tile-pic.one { grid-template-columns: 1fr; }
.ps-tile-pic img { width: 100%; height: 100%; object-fit: cover; display: block; }
"""


def follow_button(following: Var[bool], busy: Var[bool], on_click: Any, name: Any) -> rx.Component:
    return rx.button(
        rx.cond(busy, rx.spinner(size="1"), rx.fragment()),
        rx.cond(following, "Following", "Follow"),
        on_click=on_click,
        disabled=busy,
        variant=rx.cond(following, "soft", "solid"),
        aria_pressed=following,
        # The visible word starts the name (speech input users say what they see); aria-pressed
        # tells that pressing it again unfollows.
        aria_label=rx.cond(following, f"Following {name}", f"Follow {name}"),
        size="2",
    )


def stat(value: Var[int], one: str, many: str, href: Any = None) -> rx.Component:
    body = rx.hstack(
        rx.text(value, weight="bold", high_contrast=True),
        rx.text(rx.cond(value == 1, one, many), color_scheme="gray"),
        spacing="1",
        align="baseline",
    )
    if href is None:
        return body
    return rx.link(body, href=href, underline="hover", color_scheme="gray")


def header() -> rx.Component:
    return rx.flex(
        rx.avatar(
            src=S.avatar,
            fallback=S.name[:2].upper(),
            size="7",
            radius="full",
            custom_attrs={"alt": ""},
        ),
        rx.vstack(
            rx.flex(
                rx.heading(S.name, as_="h1", size="7"),
                rx.cond(
                    ~S.is_owner,
                    follow_button(S.viewer_follows, S.follow_busy, S.toggle_follow, S.name),
                    rx.link("Edit profile", href="/settings", size="2"),
                ),
                rx.cond(~S.is_owner, report_dialog("user", S.name)),
                align="center",
                wrap="wrap",
                spacing="4",
            ),
            rx.flex(
                stat(S.image_count, "image", "images"),
                stat(S.follower_count, "follower", "followers", S.followers_href),
                stat(S.following_count, "following", "following", S.following_href),
                wrap="wrap",
                spacing="4",
            ),
            rx.text(S.joined, size="2", color_scheme="gray"),
            spacing="2",
            min_width="0",
        ),
        direction={"initial": "column", "sm": "row"},
        align={"initial": "start", "sm": "center"},
        spacing="5",
        padding_top="40px",
        width="100%",
    )


def empty(text: Any) -> rx.Component:
    return rx.center(rx.text(text, color_scheme="gray"), padding_y="48px", width="100%")


def _cover(src: Var[str]) -> rx.Component:
    return rx.el.img(src=src, alt="", loading="lazy", decoding="async")


def set_tile(tile: ObjectVar[SetTile]) -> rx.Component:
    return rx.el.li(
        rx.el.a(
            rx.box(
                rx.cond(tile.cover != "", _cover(tile.cover)),
                class_name="ps-tile-pic one",
            ),
            rx.text(tile.prompt, size="2", weight="medium", class_name="ps-clamp-2"),
            rx.text(tile.image_count, " images · ", tile.model_name, size="1", color_scheme="gray"),
            href=tile.href,
            class_name="ps-tile",
        ),
        list_style="none",
    )


def collection_tile(tile: ObjectVar[CollectionTile]) -> rx.Component:
    return rx.el.li(
        rx.el.a(
            rx.box(
                rx.foreach(tile.covers, _cover),
                class_name=rx.cond(tile.covers.length() > 1, "ps-tile-pic", "ps-tile-pic one"),
            ),
            rx.hstack(
                rx.text(tile.title, size="2", weight="medium", truncate=True),
                rx.cond(tile.private, rx.badge(rx.icon("lock", size=12), "Private")),
                spacing="2",
                align="center",
            ),
            rx.text(tile.image_count, " images", size="1", color_scheme="gray"),
            href=tile.href,
            class_name="ps-tile",
        ),
        list_style="none",
    )


def more_button(show: Var[bool], on_click: Any) -> rx.Component:
    return rx.cond(
        show,
        rx.center(
            rx.button("Load more", on_click=on_click, variant="soft", size="3"),
            padding_top="24px",
            width="100%",
        ),
    )


def tiles(items: Var[Any], render: Any, label: str) -> rx.Component:
    return rx.el.ul(rx.foreach(items, render), class_name="ps-tiles", aria_label=label)


def tabs() -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(
            rx.tabs.trigger("Images", value="images"),
            rx.tabs.trigger("Sets", value="sets"),
            rx.tabs.trigger("Collections", value="collections"),
        ),
        rx.tabs.content(
            rx.cond(
                S.cards.length() > 0,
                image_grid(
                    S.cards,
                    show_creator=False,
                    label=f"Images by {S.name}",
                    more=infinite_scroll(
                        on_visible=S.load_more_if_visible,
                        on_more=S.load_more,
                        has_more=S.has_more,
                        loading=S.loading,
                        count=S.cards.length(),
                    ),
                ),
                empty("No public images yet."),
            ),
            value="images",
            padding_top="20px",
        ),
        rx.tabs.content(
            rx.cond(
                ~S.sets_loaded,
                grid_skeleton(label="Loading sets"),
                rx.cond(
                    S.sets.length() > 0,
                    rx.box(
                        tiles(S.sets, set_tile, "Sets"),
                        more_button(S.sets_more, S.load_more_sets),
                    ),
                    empty("No public sets yet."),
                ),
            ),
            value="sets",
            padding_top="20px",
        ),
        rx.tabs.content(
            rx.cond(
                ~S.collections_loaded,
                grid_skeleton(label="Loading collections"),
                rx.cond(
                    S.collections.length() > 0,
                    rx.box(
                        tiles(S.collections, collection_tile, "Collections"),
                        more_button(S.collections_more, S.load_more_collections),
                    ),
                    empty("No public collections yet."),
                ),
            ),
            value="collections",
            padding_top="20px",
        ),
        value=S.tab,
        on_change=S.set_tab,
        width="100%",
    )


def not_found() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("User not found", as_="h1", size="6"),
            rx.text("No one here goes by that name.", color_scheme="gray"),
            rx.link("Explore images", href="/explore"),
            align="center",
            spacing="3",
        ),
        padding_y="120px",
    )


def loading() -> rx.Component:
    return page_skeleton(first_pic=True)


def profile_page() -> rx.Component:
    return page_frame(
        studio_styles(),
        rx.el.style(TILE_CSS),
        rx.cond(
            ~S.loaded,
            loading(),
            rx.box(
                rx.cond(
                    S.found,
                    rx.vstack(header(), tabs(), spacing="6", width="100%", padding_bottom="48px"),
                    not_found(),
                ),
                on_mount=drop_early_picture(),
                width="100%",
            ),
        ),
    )


def person_row(row: ObjectVar[PersonRow]) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.link(
                rx.hstack(
                    rx.avatar(
                        src=row.avatar,
                        fallback=row.username.to(str)[:2].upper(),
                        size="3",
                        radius="full",
                        custom_attrs={"alt": ""},
                    ),
                    rx.text(row.username, weight="medium", truncate=True),
                    spacing="3",
                    align="center",
                    min_width="0",
                ),
                href=row.href,
                underline="none",
                color_scheme="gray",
                high_contrast=True,
                min_width="0",
            ),
            rx.spacer(),
            rx.cond(
                ~row.is_viewer,
                follow_button(
                    row.viewer_follows,
                    F.busy_user == row.user_id,
                    F.toggle_follow(row.user_id),  # type: ignore[misc]  # a bound event
                    row.username,
                ),
            ),
            align="center",
            width="100%",
            padding_y="10px",
        ),
        list_style="none",
        border_bottom="1px solid var(--gray-a4)",
    )


def follow_list_page() -> rx.Component:
    return page_frame(
        rx.cond(
            ~F.loaded,
            loading(),
            rx.cond(
                F.found,
                rx.vstack(
                    rx.link(
                        rx.hstack(rx.icon("arrow-left", size=16), F.name, align="center"),
                        href=F.profile_href,
                        size="2",
                    ),
                    rx.heading(F.heading, as_="h1", size="7"),
                    rx.hstack(
                        rx.link("Followers", href=F.profile_href + "/followers"),
                        rx.link("Following", href=F.profile_href + "/following"),
                        spacing="4",
                    ),
                    rx.cond(
                        F.rows.length() > 0,
                        rx.el.ul(
                            rx.foreach(F.rows, person_row),
                            padding="0",
                            margin="0",
                            width="100%",
                            aria_label=F.heading,
                        ),
                        empty("Nobody yet."),
                    ),
                    more_button(F.has_more, F.load_more),
                    spacing="4",
                    padding_top="40px",
                    padding_bottom="48px",
                    width="100%",
                    max_width="640px",
                ),
                not_found(),
            ),
        ),
    )
