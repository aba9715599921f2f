"""The mask painter for inpainting: brush (size), eraser, undo, clear over the picture, with
mouse, pen and touch (pointer events), and by keyboard (a rectangle moved with the arrow keys,
sized with Shift+arrows, added with Enter).

A small React component of our own (mask_painter.jsx, inserted into the page module as custom
code: no npm package, nothing to download). It paints on one canvas at the image's own
resolution (strokes are scaled into image pixels, never the bitmap), and after each change
sends the mask to `on_change` as a PNG data URL: white (255) where the picture may change,
black where it stays (providers.base.EditRequest's convention), or "" when nothing is painted.
A mostly flat PNG is tens of KB: well inside the socket's 1 MB. A mask too detailed to fit is
not sent: `on_change` gets "too-large" and the painter says so.

    mask_painter(src=S.url, alt=S.prompt, natural_width=S.width, natural_height=S.height,
                 on_change=S.set_mask)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import reflex as rx
from reflex.components.component import Component
from reflex.event import EventHandler, passthrough_event_spec
from reflex.vars import Var

_SOURCE = (Path(__file__).with_name("mask_painter.jsx")).read_text(encoding="utf-8")

STYLES = """
.ps-painter { display: flex; flex-direction: column; gap: 8px; width: 100%; }
.ps-painter-tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.ps-painter-brush { display: flex; gap: 8px; align-items: center; font-size: 14px; }
.ps-painter-button { font: inherit; font-size: 14px; padding: 4px 12px; border-radius: 6px;
  border: 1px solid var(--gray-a7); background: var(--gray-a2); color: var(--gray-12);
  cursor: pointer; min-height: 32px; }
.ps-painter-button[aria-pressed="true"] { background: var(--accent-9);
  color: var(--accent-contrast); border-color: var(--accent-9); }
.ps-painter-button:disabled { opacity: 0.5; cursor: default; }
.ps-painter-button:focus-visible, .ps-painter-brush input:focus-visible {
  outline: 2px solid var(--accent-8); outline-offset: 2px; }
.ps-painter-stage { position: relative; width: 100%; border-radius: 8px; overflow: hidden;
  background: var(--gray-a3); }
.ps-painter-stage img, .ps-painter-stage canvas { position: absolute; inset: 0;
  width: 100%; height: 100%; display: block; }
.ps-painter-stage canvas { opacity: 0.55; touch-action: none; cursor: crosshair; }
.ps-painter-stage canvas:focus-visible { outline: 3px solid var(--accent-9);
  outline-offset: -3px; }
.ps-painter-rect { position: absolute; border: 2px dashed #fff; pointer-events: none;
  box-shadow: 0 0 0 1px #000, inset 0 0 0 1px #000; }
.ps-painter-rect[data-erase="1"] { border-color: #ffd60a; }
.ps-painter-help { font-size: 13px; color: var(--gray-11); margin: 0; }
"""


class MaskPainter(Component):
    """`<MaskPainter>`: defined by the custom code below (no library import)."""

    tag = "MaskPainter"

    src: Var[str]
    alt: Var[str]
    natural_width: Var[int]
    natural_height: Var[int]
    id_prefix: Var[str]

    # Reflex's own components declare triggers this way; mypy cannot read a call as a type.
    on_change: EventHandler[passthrough_event_spec(str)]  # type: ignore[type-arg,valid-type]

    def add_imports(self) -> dict[str, Any]:
        return {"react": ["useRef", "useState", "useEffect", "useCallback"]}

    def add_custom_code(self) -> list[str]:
        return [_SOURCE]


def mask_painter(
    *,
    src: Var[str],
    alt: Var[str],
    natural_width: Var[int],
    natural_height: Var[int],
    on_change: Any,
    id_prefix: str = "mask",
) -> rx.Component:
    return rx.fragment(
        rx.el.style(STYLES),
        MaskPainter.create(
            src=src,
            alt=alt,
            natural_width=natural_width,
            natural_height=natural_height,
            id_prefix=id_prefix,
            on_change=on_change,
        ),
    )
