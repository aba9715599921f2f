"""Pieces the studio pages share: their style rules, image tiles, status badges, selects.

The rules live here rather than in theme.py (the shell's) and are included by the pages that
use them; colours are Radix tokens, so light and dark mode both follow the theme.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

from pixel_studio.components.forms import labelled
from pixel_studio.components.native_select import NATIVE_SELECT_CSS, select_control

STUDIO_CSS = """
.ps-thumb { display: block; position: relative; aspect-ratio: 1 / 1; overflow: hidden;
  border-radius: var(--radius-3); background: var(--gray-a3);
  box-shadow: 0 0 0 1px var(--gray-a4); }
.ps-thumb img { width: 100%; height: 100%; object-fit: cover; display: block;
  transition: transform .25s ease; animation: ps-fade-in .35s ease both; }
a.ps-thumb:hover img, a.ps-thumb:focus-visible img { transform: scale(1.04); }
.ps-pending { aspect-ratio: 1 / 1; border-radius: var(--radius-3);
  background: linear-gradient(100deg, var(--gray-a3) 30%, var(--gray-a5) 50%, var(--gray-a3) 70%);
  background-size: 300% 100%; animation: ps-shimmer 1.4s ease-in-out infinite; }
@keyframes ps-shimmer { 0% { background-position: 100% 0; } 100% { background-position: 0 0; } }
@keyframes ps-fade-in { from { opacity: 0; } to { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .ps-pending, .ps-thumb img { animation: none; } }
.ps-clamp-2 { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
  overflow: hidden; overflow-wrap: anywhere; }
.ps-clamp-3 { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical;
  overflow: hidden; overflow-wrap: anywhere; }
.ps-set-card { transition: box-shadow .15s ease, transform .15s ease; }
.ps-set-card:hover { box-shadow: var(--shadow-4); transform: translateY(-1px); }
.ps-set-cover { display: grid; gap: 2px; aspect-ratio: 4 / 3; overflow: hidden;
  border-radius: var(--radius-3); background: var(--gray-a3); }
.ps-set-cover img { width: 100%; height: 100%; object-fit: cover; display: block; min-height: 0; }
.ps-set-cover.n1 { grid-template-columns: 1fr; }
.ps-set-cover.n2 { grid-template-columns: 1fr 1fr; }
.ps-set-cover.n3 { grid-template-columns: 2fr 1fr; grid-template-rows: 1fr 1fr; }
.ps-set-cover.n3 img:first-child { grid-row: span 2; }
.ps-set-cover.n4 { grid-template-columns: 1fr 1fr; grid-template-rows: 1fr 1fr; }
.ps-picture { border-radius: var(--radius-4); overflow: hidden; background: var(--gray-a3);
  box-shadow: var(--shadow-3); }
.ps-picture img { width: 100%; height: auto; display: block; }
.ps-stage { display: flex; justify-content: center; align-items: center; }
.ps-fieldset { border: 0; padding: 0; margin: 0; min-width: 0; }
.ps-sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.ps-note { padding: 10px 12px; border-radius: var(--radius-3); background: var(--accent-a2);
  box-shadow: inset 0 0 0 1px var(--accent-a5); }
.ps-remix-thumb { width: 48px; height: 48px; border-radius: 8px; object-fit: cover;
  flex-shrink: 0; display: block; }
.ps-pictures { display: grid; gap: 16px; grid-template-columns: repeat(2, minmax(0, 1fr)); }
.ps-pictures.one { grid-template-columns: minmax(0, 640px); }
@media (max-width: 640px) { .ps-pictures { grid-template-columns: minmax(0, 1fr); } }
.ps-counter { font-variant-numeric: tabular-nums; }
.ps-sticky { position: sticky; top: 84px; }
@media (max-width: 1023px) { .ps-sticky { position: static; } }
.ps-cost { border-radius: var(--radius-4); background: var(--accent-a2);
  box-shadow: inset 0 0 0 1px var(--accent-a4); }
"""


def page_title(title: str, subtitle: str) -> rx.Component:
    """A page's h1 and the gray line under it, as every studio page opens."""
    return rx.vstack(
        rx.heading(title, as_="h1", size="8"),
        rx.text(subtitle, color_scheme="gray"),
        spacing="1",
        padding_top="40px",
    )


def picture_stage(src: Var[str], alt: Var[str], width: Var[int], height: Var[int]) -> rx.Component:
    """An image at full size on its page: the box takes the picture's ratio before its bytes
    arrive (width and height as attributes; Reflex's `width=` prop would be CSS), and the
    picture is never drawn wider than its own pixels (a 512 px one sits in the middle of a
    wider column instead of being stretched soft)."""
    return rx.box(
        rx.el.img(
            src=src,
            alt=alt,
            decoding="async",
            custom_attrs={"width": width, "height": height, "fetchpriority": "high"},
            style={"max_width": width.to_string() + "px"},
        ),
        class_name="ps-picture ps-stage",
        style={"aspect_ratio": width.to_string() + " / " + height.to_string()},
        width="100%",
    )


def studio_styles() -> rx.Component:
    return rx.el.style(STUDIO_CSS + NATIVE_SELECT_CSS)


def status_badge(
    label: Var[str] | str, color: Var[str] | str, active: Var[bool] | bool
) -> rx.Component:
    return rx.badge(
        rx.cond(active, rx.spinner(size="1"), rx.fragment()),
        label,
        color_scheme=color,  # type: ignore[arg-type]
        variant="soft",
        high_contrast=True,  # soft amber (cancelled) text is under 4.5:1 in light mode
        radius="full",
        size="2",
    )


def thumb_link(url: Var[str], alt: Var[str], href: Var[str] | str) -> rx.Component:
    """A square thumbnail that opens its set."""
    return rx.link(
        rx.el.img(src=url, alt=alt, loading="lazy", decoding="async"),
        href=href,
        class_name="ps-thumb",
    )


def option(label: Any, *, value: Any, disabled: Var[bool] | bool = False) -> rx.Component:
    """One choice of a `select_field`."""
    return rx.el.option(label, value=value, disabled=disabled)


def option_group(label: str, *options: rx.Component) -> rx.Component:
    return rx.el.optgroup(*options, label=label)


def select_field(
    label: str,
    input_id: str,
    value: Var[str],
    on_change: Any,
    items: rx.Component | list[rx.Component],
    *,
    error: Var[str] | str = "",
    hint: Var[str] | str = "",
    disabled: Var[bool] | bool = False,
) -> rx.Component:
    """A labelled native select of `option`s (components/native_select.py: one element per
    choice where Radix's Select rendered ~7 components each, and a phone's own picker)."""
    has_error = Var.create(error) != ""
    children = items if isinstance(items, list) else [items]
    return labelled(
        label,
        input_id,
        select_control(
            input_id,
            value,
            on_change,
            *children,
            disabled=disabled,
            aria_invalid=rx.cond(has_error, "true", "false"),
            aria_describedby=f"{input_id}-error",
        ),
        error=error,
        hint=hint,
    )
