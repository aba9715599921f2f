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
from urllib.parse import quote

import reflex as rx
from reflex.vars import ObjectVar, Var

from pixel_studio.state.image_cards import ImageCard

GRID_CSS = """
.ps-grid { display: grid; gap: 16px; padding: 0; margin: 0;
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
.ps-grid > li { list-style: none; }
.ps-card-creator-link { display: inline-flex; align-items: center; gap: 6px; flex: 1;
  min-width: 0; }
.ps-card-spacer { flex: 1; }
/* Lucide's heart and message-circle (ISC), drawn by CSS: a grid has 48 of them, and each
   icon component is several React fibers where a masked span is one element. */
.ps-icon { flex: none; width: 13px; height: 13px; background-color: currentColor;
  -webkit-mask: var(--ps-icon) center / contain no-repeat;
  mask: var(--ps-icon) center / contain no-repeat; }
.ps-card-avatar { flex: none; width: 24px; height: 24px; border-radius: 50%;
  object-fit: cover; }
.ps-card-initials { display: inline-flex; align-items: center; justify-content: center;
  background: var(--accent-a3); color: var(--accent-a11); font-size: 10px; font-weight: 500;
  line-height: 1; }
.ps-card-count { display: inline-flex; align-items: center; gap: 3px;
  font-variant-numeric: tabular-nums; }
@media (prefers-reduced-motion: reduce) { .ps-card-pic img { transition: none; } }
/* Skeleton cards: the same boxes as a card (square picture, a 24 px meta line), so the real
   cards take their place without moving anything. */
.ps-skel { background: var(--gray-a3); border-radius: var(--radius-4);
  animation: ps-pulse 1.6s ease-in-out infinite; }
.ps-skel-meta { height: 24px; width: 60%; border-radius: var(--radius-2); }
@keyframes ps-pulse { 50% { opacity: .55; } }
@media (prefers-reduced-motion: reduce) { .ps-skel { animation: none; } }
"""

# Lucide's own paths (ISC; lucide-react 1.26, 24 x 24, stroked): drawn as CSS masks in the text's
# colour, one element each.
ICON_PATHS = {
    "heart": "M2 9.5a5.5 5.5 0 0 1 9.591-3.676.56.56 0 0 0 .818 0A5.49 5.49 0 0 1 22 9.5c0 "
    "2.29-1.5 4-3 5.5l-5.492 5.313a2 2 0 0 1-3 .019L5 15c-1.5-1.5-3-3.2-3-5.5",
    "comment": "M2.992 16.342a2 2 0 0 1 .094 1.167l-1.065 3.29a1 1 0 0 0 1.236 1.168l3.413"
    "-.998a2 2 0 0 1 1.099.092 10 10 0 1 0-4.777-4.719",
}


def _icon_rule(name: str, path: str) -> str:
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24' fill='none' "
        "stroke='black' stroke-width='2' stroke-linecap='round' stroke-linejoin='round'>"
        f"<path d='{path}'/></svg>"
    )
    return (
        f'.ps-icon-{name} {{ --ps-icon: url("data:image/svg+xml,{quote(svg, safe=" =:/,.")}"); }}'
    )


ICON_CSS = "\n".join(_icon_rule(name, path) for name, path in ICON_PATHS.items())

# The first cards are on screen at once (one row on a desktop, the first one or two on a
# phone): they load eagerly, the very first one at high priority (the usual LCP element);
# the rest wait until they scroll near (loading="lazy").
EAGER_CARDS = 4
SKELETON_CARDS = 8


def grid_styles() -> rx.Component:
    return rx.el.style(GRID_CSS + ICON_CSS)


def _count(icon: str, value: Var[int], label: str) -> rx.Component:
    return rx.el.span(
        rx.el.span(class_name=f"ps-icon ps-icon-{icon}", aria_hidden="true"),
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


def card_avatar(src: Var[str], name: Var[str]) -> rx.Component:
    """The creator's picture, or their initials, in a 24 px circle. Plain elements, not Radix's
    Avatar: a grid shows 24 of them, and each Avatar tracks its picture's loading in React state
    (a render when it loads) where a plain <img> needs no script at all."""
    return rx.cond(
        src != "",
        rx.el.img(src=src, alt="", class_name="ps-card-avatar", loading="lazy", decoding="async"),
        rx.el.span(
            name.to(str)[:2].upper(),
            class_name="ps-card-avatar ps-card-initials",
            aria_hidden="true",
        ),
    )


def image_card(
    card: ObjectVar[ImageCard], show_creator: bool = True, index: Var[int] | None = None
) -> rx.Component:
    """One card: the picture links to the image page, the creator to their profile. `index`
    (its place in the grid) decides eager or lazy loading; without one the card is lazy."""
    creator = rx.cond(
        card.creator != "",
        rx.el.a(
            card_avatar(card.creator_avatar, card.creator),
            rx.el.span(card.creator, class_name="ps-card-creator"),
            href="/u/" + card.creator.to(str),
            class_name="ps-card-creator-link",
        ),
        rx.el.span(class_name="ps-card-spacer"),
    )
    picture = rx.el.div(
        rx.el.img(
            src=card.thumb,
            alt=card.alt,
            loading="lazy"
            if index is None
            else rx.cond(index.to(int) < EAGER_CARDS, "eager", "lazy"),
            decoding="async",
            # The box is square (aspect-ratio in .ps-card-pic, the picture covers it); the
            # attributes give the picture's own size from the database. Passed as attributes:
            # Reflex turns `width=`/`height=` props into CSS, which is not the same thing.
            custom_attrs={
                "width": card.width,
                "height": card.height,
                "fetchpriority": "auto" if index is None else rx.cond(index == 0, "high", "auto"),
            },
        ),
        card_private_badge(card.private),
        class_name="ps-card-pic",
    )
    # Two links side by side, never nested (a link inside a link is invalid HTML). Plain
    # elements styled by class: a grid renders 24 cards, and a Radix Box or a style prop (an
    # Emotion wrapper) is one more component per element, at hydration and at every update.
    return rx.el.div(
        rx.el.a(picture, href=card.href, class_name="ps-card-link"),
        rx.el.div(
            creator if show_creator else rx.el.span(class_name="ps-card-spacer"),
            _count("heart", card.like_count, "likes"),
            _count("comment", card.comment_count, "comments"),
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
    first_screen: bool = True,
) -> rx.Component:
    """The cards in a responsive grid (one column on a phone, as many 200 px+ as fit), then
    `more` (an `infinite_scroll(...)`) below it when the list is paged. `first_screen=False`
    for a grid below the fold (its cards all load lazily, none at high priority)."""
    return rx.box(
        grid_styles(),
        rx.el.ul(
            rx.foreach(
                cards,
                lambda card, i: rx.el.li(
                    image_card(card, show_creator, i if first_screen else None)
                ),
            ),
            class_name="ps-grid",
            aria_label=label,
        ),
        more if more is not None else rx.fragment(),
        width="100%",
    )


def skeleton_card(first: bool = False) -> rx.Component:
    # The first one can show the first picture early (components/first_paint.py).
    pic_class = "ps-card-pic ps-skel ps-first-pic" if first else "ps-card-pic ps-skel"
    return rx.el.li(
        rx.el.div(
            rx.el.div(class_name=pic_class),
            rx.el.div(rx.el.div(class_name="ps-skel ps-skel-meta"), class_name="ps-card-meta"),
            class_name="ps-card",
        ),
    )


def grid_skeleton(
    count: int = SKELETON_CARDS, label: str = "Loading images", first_pic: bool = False
) -> rx.Component:
    """Placeholder cards of the final size while a grid's data is on its way: the page below
    (the footer, "load more") starts where it will stay instead of jumping as the cards come."""
    return rx.box(
        grid_styles(),
        rx.el.ul(
            *[skeleton_card(first=first_pic and i == 0) for i in range(count)],
            class_name="ps-grid",
            aria_label=label,
            aria_busy="true",
        ),
        width="100%",
        custom_attrs={"data-testid": "grid-skeleton"},
    )
