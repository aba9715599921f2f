"""A responsive grid of image cards, for every page that lists images.

Usage (a page whose state holds `cards: list[ImageCard]`, built with
`state.image_cards.image_card`):

    image_grid(MyState.cards)                                  # a fixed list
    image_grid(MyState.cards, more=infinite_scroll(...))       # paged: see infinite_scroll.py
    image_grid(MyState.cards, show_creator=False)              # on one person's own pages

Each card's picture is a link to `/image/<id>` (the square thumbnail with the prompt as alt
text, a "Private" badge when the image is private); below it the creator, a link to their
profile `/u/<name>`, and the like and comment counts. Include `grid_styles()`
once in the page (or `image_grid` does it for you).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.state.image_cards import ImageCard

GRID_CSS = """
.ps-grid { display: grid; gap: 16px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 200px), 1fr)); }
.ps-card { display: flex; flex-direction: column; gap: 8px; color: inherit;
  text-decoration: none; border-radius: var(--radius-4); }
.ps-card-link { display: block; color: inherit; border-radius: var(--radius-4); }
.ps-card:focus-visible, .ps-card-link:focus-visible, .ps-card-creator-link:focus-visible {
  outline: 2px solid var(--accent-8); outline-offset: 3px; }
.ps-card-creator-link { color: inherit; text-decoration: none; border-radius: var(--radius-2); }
.ps-card-creator-link:hover .ps-card-creator { text-decoration: underline; }
.ps-card-pic { position: relative; aspect-ratio: 1 / 1; overflow: hidden;
  border-radius: var(--radius-4); background: var(--gray-a3);
  box-shadow: 0 0 0 1px var(--gray-a4); }
.ps-card-pic img { width: 100%; height: 100%; object-fit: cover; display: block;
  transition: transform .25s ease; }
.ps-card-link:hover .ps-card-pic img, .ps-card-link:focus-visible .ps-card-pic img {
  transform: scale(1.04); }
.ps-card-badge { position: absolute; top: 8px; left: 8px; }
.ps-card-meta { display: flex; align-items: center; gap: 10px; min-width: 0;
  font-size: var(--font-size-1); color: var(--gray-11); }
.ps-card-meta .ps-card-creator { flex: 1; min-width: 0; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
.ps-card-count { display: inline-flex; align-items: center; gap: 3px;
  font-variant-numeric: tabular-nums; }
@media (prefers-reduced-motion: reduce) { .ps-card-pic img { transition: none; } }
"""


def grid_styles() -> rx.Component:
    return rx.el.style(GRID_CSS)


def _count(icon: str, value: Var[int], label: str) -> rx.Component:
    return rx.el.span(
        rx.icon(icon, size=13, aria_hidden="true"),
        value,
        class_name="ps-card-count",
        title=label,
        aria_label=f"{value} {label}",
    )


def card_private_badge(private: Var[bool]) -> rx.Component:
    """The lock badge over a private card's picture (image and collection cards)."""
    return rx.cond(
        private,
        rx.badge(
            rx.icon("lock", size=12),
            "Private",
            variant="solid",
            color_scheme="gray",
            high_contrast=True,
            radius="full",
            class_name="ps-card-badge",
        ),
    )


def image_card(card: ObjectVar[ImageCard], show_creator: bool = True) -> rx.Component:
    """One card: the picture links to the image page, the creator to their profile."""
    creator = rx.cond(
        card.creator != "",
        rx.el.a(
            rx.avatar(
                src=card.creator_avatar,
                fallback=card.creator.to(str)[:2].upper(),
                size="1",
                radius="full",
                aria_hidden="true",
            ),
            rx.el.span(card.creator, class_name="ps-card-creator"),
            href="/u/" + card.creator.to(str),
            class_name="ps-card-creator-link",
            display="inline-flex",
            align_items="center",
            gap="6px",
            flex="1",
            min_width="0",
        ),
        rx.el.span(flex="1"),
    )
    picture = rx.box(
        rx.el.img(
            src=card.thumb,
            alt=card.alt,
            loading="lazy",
            decoding="async",
            width="512",
            height="512",
        ),
        card_private_badge(card.private),
        class_name="ps-card-pic",
    )
    # Two links side by side, never nested (a link inside a link is invalid HTML).
    return rx.box(
        rx.el.a(picture, href=card.href, class_name="ps-card-link"),
        rx.box(
            creator if show_creator else rx.el.span(flex="1"),
            _count("heart", card.like_count, "likes"),
            _count("message-circle", card.comment_count, "comments"),
            class_name="ps-card-meta",
        ),
        class_name="ps-card",
        custom_attrs={"data-testid": "image-card", "data-image-id": card.image_id},
    )


def image_grid(
    cards: Var[Any],  # Var[list[ImageCard]]; state fields are typed loosely as Vars
    *,
    show_creator: bool = True,
    more: rx.Component | None = None,
    label: str = "Images",
) -> rx.Component:
    """The cards in a responsive grid (one column on a phone, as many 200 px+ as fit), then
    `more` (an `infinite_scroll(...)`) below it when the list is paged."""
    return rx.box(
        grid_styles(),
        rx.el.ul(
            rx.foreach(
                cards,
                lambda card: rx.el.li(image_card(card, show_creator), list_style="none"),
            ),
            class_name="ps-grid",
            aria_label=label,
            padding="0",
            margin="0",
        ),
        more if more is not None else rx.fragment(),
        width="100%",
    )
