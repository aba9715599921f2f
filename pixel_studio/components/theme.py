"""The look: the Radix theme and the few global rules the components' props cannot express.

Colours come from Radix tokens (`--accent-*`, `--gray-*`), so light and dark mode both follow
the theme without separate rules.
"""

from __future__ import annotations

import reflex as rx

from pixel_studio.components.first_paint import first_paint_head


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
/* Radix darkens a solid button (accent-10) and deepens a soft one (accent-a4) on hover and
   while its menu or dialog is open: white on violet-10 or red-a11 on red-a4 falls under 4.5:1.
   Keep the resting colours (which pass, light and dark) and mark the state otherwise. */
.rt-BaseButton.rt-variant-solid:not(.rt-high-contrast):is(:hover, [data-state="open"]) {
  background-color: var(--accent-9); filter: brightness(0.9); }
.rt-BaseButton.rt-variant-soft:not(.rt-high-contrast):is(:hover, [data-state="open"]) {
  background-color: var(--accent-a3); box-shadow: inset 0 0 0 1px var(--accent-a7); }
/* Read by screen readers, not shown: live-region text, extra context in link names. */
.ps-sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
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


# Static files in assets/ (Reflex serves that folder at the site root); drawn by
# scripts/make_assets.py.
FAVICON_ICO = "/favicon.ico"
FAVICON_PNG = "/favicon-32.png"
TOUCH_ICON = "/apple-touch-icon.png"
SOCIAL_IMAGE = "/social.png"  # 1200x630: what link previews show
SOCIAL_IMAGE_SIZE = (1200, 630)
SITE_NAME = "Pixel Studio"


def social_image_url(site_url: str) -> str:
    """The share image's absolute address: link previews do not resolve relative ones."""
    return site_url.strip().rstrip("/") + SOCIAL_IMAGE


# Until React has hydrated (root.jsx sets window.__reflex then), a prerendered form is plain
# HTML: Enter would send the browser's own GET, the password in the address. So the browser's
# submission is stopped, and the form is submitted again once the app runs (one per form): a
# search typed before a content page's deferred JavaScript has loaded is not lost.
HOLD_SUBMITS_JS = """window.addEventListener('submit', function (e) {
  if (window.__reflex) return;
  e.preventDefault();
  var form = e.target, by = e.submitter;
  if (form.__psHeld) return;
  form.__psHeld = true;
  (function send() {
    if (!window.__reflex) return void setTimeout(send, 50);
    form.__psHeld = false;
    if (form.isConnected) form.requestSubmit(by && by.form === form ? by : undefined);
  })();
}, true);"""


def head_components(media_base_url: str = "") -> list[rx.Component]:
    width, height = SOCIAL_IMAGE_SIZE
    # With a CDN for images (MEDIA_BASE_URL), its connection opens while the page parses.
    preconnect = [rx.el.link(rel="preconnect", href=media_base_url)] if media_base_url else []
    return [
        *preconnect,
        rx.el.style(GLOBAL_CSS),
        rx.el.link(rel="icon", href=FAVICON_ICO, sizes="48x48"),
        rx.el.link(rel="icon", href=FAVICON_PNG, type="image/png", sizes="32x32"),
        rx.el.link(rel="apple-touch-icon", href=TOUCH_ICON),
        rx.el.meta(name="theme-color", content="#6e56cf"),
        # Each page's og:image comes from add_page (pixel_studio.py); these complete the card.
        rx.el.meta(property="og:site_name", content=SITE_NAME),
        rx.el.meta(property="og:type", content="website"),
        rx.el.meta(property="og:image:width", content=str(width)),
        rx.el.meta(property="og:image:height", content=str(height)),
        rx.el.meta(name="twitter:card", content="summary_large_image"),
        # Starts a public page's first data (and its largest image) during HTML parsing.
        first_paint_head(),
        # A form used before the app runs is held, then sent (HOLD_SUBMITS_JS).
        rx.el.script(
            custom_attrs={"dangerouslySetInnerHTML": {"__html": HOLD_SUBMITS_JS}},
        ),
    ]
