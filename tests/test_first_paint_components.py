"""What the first-paint pieces compile to (issue 16), checked on the generated React code
without a browser; tests/e2e/test_web_vitals_e2e.py checks them in Chromium."""

from __future__ import annotations

import re

from pixel_studio.components.first_paint import FIRST_PAINT_JS, first_paint_head
from pixel_studio.components.image_grid import EAGER_CARDS, grid_skeleton, image_grid
from pixel_studio.components.theme import head_components
from pixel_studio.state.explore import ExploreState


def _img_props(code: str) -> str:
    match = re.search(r'"img",\{(.*?)\}', code)
    assert match, code[:400]
    return match.group(1)


def test_grid_pictures_carry_size_attributes_and_priority() -> None:
    props = _img_props(str(image_grid(ExploreState.cards)))
    # Real attributes from the card (Reflex's `width=` prop would have become CSS instead).
    assert 'width:card_rx_state_?.["width"]' in props
    assert 'height:card_rx_state_?.["height"]' in props
    assert f'loading:((i_rx_state_ < {EAGER_CARDS}) ? "eager" : "lazy")' in props
    assert "fetchpriority:((i_rx_state_?.valueOf?.() === 0" in props


def test_a_grid_below_the_fold_stays_lazy() -> None:
    props = _img_props(str(image_grid(ExploreState.cards, first_screen=False)))
    assert 'loading:"lazy"' in props
    assert 'fetchpriority:"auto"' in props


def test_skeleton_cards_have_the_card_boxes() -> None:
    code = str(grid_skeleton(count=3, first_pic=True))
    assert code.count('"ps-card-pic ps-skel') == 3
    assert code.count("ps-first-pic") == 1  # only the first can show the early picture


def test_the_early_fetch_is_in_every_page_head_and_sends_no_cookie() -> None:
    heads = "".join(str(c) for c in head_components())
    assert str(first_paint_head()) in heads
    # A visitor's view only: a signed-in viewer's private items come through the socket.
    assert 'credentials: "omit"' in FIRST_PAINT_JS
    assert '"/api/v1/explore"' in FIRST_PAINT_JS and '"/api/v1/images/"' in FIRST_PAINT_JS
