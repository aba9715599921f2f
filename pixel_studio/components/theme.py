"""The look: the Radix theme and the few global rules the components' props cannot express.

Colours come from Radix tokens (`--accent-*`, `--gray-*`), so light and dark mode both follow
the theme without separate rules.
"""

from __future__ import annotations

import reflex as rx


def app_theme() -> rx.Component:
    # "inherit" follows the colour mode the user picked (kept by Reflex in localStorage).
    return rx.theme(
        appearance="inherit",
        accent_color="violet",
        gray_color="mauve",
        radius="large",
        scaling="100%",
        has_background=True,
    )


GLOBAL_CSS = """
body { -webkit-font-smoothing: antialiased; }
:focus-visible { outline: 2px solid var(--accent-8); outline-offset: 2px; }
.ps-skip { position: absolute; left: 12px; top: -48px; z-index: 100; padding: 8px 14px;
  border-radius: 8px; background: var(--accent-9); color: var(--accent-contrast);
  font-weight: 600; text-decoration: none; }
.ps-skip:focus { top: 12px; }
.ps-nav { position: sticky; top: 0; z-index: 30; width: 100%;
  background: color-mix(in srgb, var(--color-background) 82%, transparent);
  backdrop-filter: saturate(180%) blur(12px); -webkit-backdrop-filter: saturate(180%) blur(12px);
  border-bottom: 1px solid var(--gray-a4); }
.ps-logo { background: linear-gradient(135deg, var(--accent-9), var(--pink-9)); }
.ps-footer { border-top: 1px solid var(--gray-a4); margin-top: 64px; }
.ps-main:focus { outline: none; }
.ps-label { font-size: var(--font-size-2); font-weight: 500; color: var(--gray-12); }
.ps-username { max-width: 14ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ps-drawer { background: var(--color-panel-solid); border-left: 1px solid var(--gray-a5);
  box-shadow: var(--shadow-5); position: fixed; }
.ps-overlay { position: fixed; inset: 0; z-index: 40; background: var(--black-a8); }
.ps-hero { position: relative; isolation: isolate; }
.ps-hero::before { content: ""; position: absolute; inset: 0 -20px; z-index: -1;
  pointer-events: none;
  background: radial-gradient(38% 55% at 32% 42%, var(--accent-a4), transparent 72%),
    radial-gradient(32% 50% at 74% 45%, var(--pink-a3), transparent 72%); }
.ps-gradient-text { background: linear-gradient(120deg, var(--accent-11), var(--pink-10));
  -webkit-background-clip: text; background-clip: text; color: transparent; }
.ps-tile { border-radius: 14px; aspect-ratio: 1 / 1; position: relative; overflow: hidden;
  box-shadow: var(--shadow-3); }
.ps-tile-caption { position: absolute; left: 8px; right: 8px; bottom: 8px; padding: 4px 8px;
  border-radius: 8px; font-size: 11px; line-height: 1.3; color: white;
  background: rgba(0, 0, 0, 0.38); backdrop-filter: blur(6px); }
@media (max-width: 520px) { .ps-tile-caption { font-size: 10px; left: 6px; right: 6px;
  bottom: 6px; padding: 3px 6px; } }
.ps-step { width: 36px; height: 36px; border-radius: 10px; background: var(--accent-a3);
  color: var(--accent-11); display: flex; align-items: center; justify-content: center; }
.ps-auth-bg { background: radial-gradient(50% 60% at 50% 0%, var(--accent-a3), transparent); }
.ps-dropzone { border: 1.5px dashed var(--gray-a7); border-radius: var(--radius-4);
  padding: 16px; cursor: pointer; transition: border-color .15s, background .15s; }
.ps-dropzone:hover, .ps-dropzone:focus-within { border-color: var(--accent-8);
  background: var(--accent-a2); }
"""


# The brand mark as an inline SVG: no asset file, no extra request.
FAVICON = (
    "data:image/svg+xml,"
    "%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
    "%3Cdefs%3E%3ClinearGradient id='g' x1='0' y1='0' x2='1' y2='1'%3E"
    "%3Cstop offset='0' stop-color='%236e56cf'/%3E%3Cstop offset='1' stop-color='%23d6409f'/%3E"
    "%3C/linearGradient%3E%3C/defs%3E"
    "%3Crect width='32' height='32' rx='8' fill='url(%23g)'/%3E"
    "%3Cpath d='M16 6l2.6 7.4L26 16l-7.4 2.6L16 26l-2.6-7.4L6 16l7.4-2.6z' fill='white'/%3E"
    "%3C/svg%3E"
)


def head_components() -> list[rx.Component]:
    return [
        rx.el.style(GLOBAL_CSS),
        rx.el.link(rel="icon", href=FAVICON, type="image/svg+xml"),
        rx.el.meta(name="theme-color", content="#6e56cf"),
    ]
