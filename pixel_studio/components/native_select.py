"""A native `<select>` dressed like Radix Themes' size-3 select trigger.

Radix's Select renders every option of a closed select as React components (to show the chosen
one's text): explore's four filters came to ~200 fibers rendered at hydration and at every
update, on the page where a phone spends its time, and /create's six selects ~240. A native
select costs one element per option, and a phone opens its own picker, which is easier to use
there anyway. `studio.select_field` is the labelled form field built on the same look.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars import Var

# The chevron is Lucide's chevron-down (ISC), as a mask in the text's colour.
NATIVE_SELECT_CSS = """
.ps-select { appearance: none; -webkit-appearance: none; width: 100%; min-width: 0;
  height: var(--space-7); padding: 0 calc(var(--space-4) + 16px) 0 var(--space-4);
  font: inherit; font-size: var(--font-size-3); letter-spacing: var(--letter-spacing-3);
  color: var(--gray-12); background-color: var(--color-surface);
  border: none; border-radius: max(var(--radius-3), var(--radius-full));
  box-shadow: inset 0 0 0 1px var(--gray-a7); cursor: pointer;
  text-overflow: ellipsis; white-space: nowrap; }
.ps-select:hover { box-shadow: inset 0 0 0 1px var(--gray-a8); }
.ps-select:focus-visible { outline: 2px solid var(--focus-8); outline-offset: -1px; }
.ps-select[aria-invalid="true"] { box-shadow: inset 0 0 0 1px var(--red-8); }
.ps-select:disabled { opacity: .6; cursor: not-allowed; }
.ps-select-wrap { position: relative; min-width: 0; }
.ps-select-wrap::after { content: ""; position: absolute; right: var(--space-3);
  top: 50%; width: 16px; height: 16px; margin-top: -8px; pointer-events: none;
  background-color: var(--gray-a11);
  -webkit-mask: var(--ps-chevron) center / contain no-repeat;
  mask: var(--ps-chevron) center / contain no-repeat;
  --ps-chevron: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 24 24' fill='none' stroke='black' stroke-width='2' stroke-linecap='round' \
stroke-linejoin='round'%3E%3Cpath d='m6 9 6 6 6-6'/%3E%3C/svg%3E"); }
"""


def select_control(
    id_: str, value: Var[str], on_change: Any, *options: rx.Component, **attrs: Any
) -> rx.Component:
    """The dressed `<select>` itself; `on_change` gets the chosen value. The page includes
    `studio.studio_styles()`, which holds its rules."""
    return rx.el.div(
        rx.el.select(
            *options, id=id_, value=value, on_change=on_change, class_name="ps-select", **attrs
        ),
        class_name="ps-select-wrap",
    )


def native_select(
    label: str, id_: str, value: Var[str], options: Var[Any], on_change: Any
) -> rx.Component:
    """A select of `options` (items with `label` and `value`) with a label for screen readers."""
    return rx.el.div(
        rx.el.label(label, html_for=id_, class_name="ps-sr-only"),
        select_control(
            id_,
            value,
            on_change,
            rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value)),
        ),
    )
