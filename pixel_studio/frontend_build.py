"""The first paint before the JavaScript: a Reflex build plugin (issue 16).

Two changes to what `reflex export` / the production build writes:

1. **Shells for the dynamic public pages.** React Router prerenders every static route; a
   dynamic one (/image/<id>, /u/<name>) is served the empty SPA fallback, so nothing paints
   until the JavaScript has loaded and rendered. `prerender_shells` adds one path per such route
   (`SHELLS`: /image/0, /u/_, ids no record can have) to the prerender list: the page as it first
   renders, nav, headings and skeletons, before any data. The server answers /image/<id> with
   that file (api/static_cache.py, `shell_for`); React hydrates it at the real address (the page
   renders from state, never from the URL, so the markup is the same for every id) and
   `on_load` brings the data as before.
2. **The JavaScript after the first paint** (`defer_boot`), on every exported page:

every prerendered page holds its first screen as HTML (on /explore the first picture too,
components/first_paint.py), but what React Router writes around it puts the JavaScript on the
critical path:

- ~30 `<link rel="modulepreload">` in <head> start ~250 KiB (brotli) of scripts at high
  priority beside the one stylesheet, so on a slow link they share its bandwidth, and
  Lighthouse's model counts every high-priority script requested before the first paint as
  render-blocking (mobile FCP ~3.4 s on every page, against ~0.65 s for the static floor page);
- the boot `<script type="module">` imports them all.

`defer_boot` moves both behind the first frame: the modulepreload links and the boot script's
text go into one inert `<template>`, and a few lines of classic script put them back (links
first, so every module downloads in parallel as before) once the browser has painted: after
the next animation frame, or at once in a hidden tab, where no frame comes. Nothing else
changes: React hydrates the same HTML from the same modules, one frame later.
"""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path
from typing import Any

from reflex_base.plugins.base import Plugin

log = logging.getLogger(__name__)

# Route pattern of each dynamic public page -> the path prerendered as its shell. The shell ids
# are outside what services/users.py and the database allow, so no real page is shadowed.
SHELLS: dict[str, tuple[re.Pattern[str], str]] = {
    "/image/[image_id]": (re.compile(r"^/image/\d{1,10}$"), "/image/0"),
    "/u/[profile_name]": (re.compile(r"^/u/[a-z0-9_]{1,40}$"), "/u/_"),
}
PRERENDER_ALL = '"prerender": true'

MODULEPRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)"\s*/?>')
BOOT_SCRIPT = re.compile(r'<script type="module"[^>]*>(.*?)</script>', re.S)
MARK = 'id="ps-deferred-boot"'

# Runs where the boot script stood. The template keeps the links and the module's text out of
# the parser's reach until `boot` copies them into live elements.
LOADER_JS = (
    "(function(){var t=document.getElementById('ps-deferred-boot'),done=false;"
    "function boot(){if(done)return;done=true;var c=t.content;"
    "c.querySelectorAll('link').forEach(function(l){var n=document.createElement('link');"
    "n.rel='modulepreload';n.href=l.getAttribute('href');document.head.appendChild(n);});"
    "var s=document.createElement('script');s.type='module';"
    "s.textContent=c.querySelector('pre').textContent;document.body.appendChild(s);}"
    "if(document.visibilityState==='hidden'){boot();return;}"
    "requestAnimationFrame(function(){requestAnimationFrame(boot);});"
    "document.addEventListener('visibilitychange',boot,{once:true});})();"
)


def defer_boot(page: str) -> str:
    """`page` with its module preloads and boot script deferred past the first paint. A page
    without a boot script, or already rewritten, comes back unchanged."""
    if MARK in page:
        return page
    boot = BOOT_SCRIPT.search(page)
    if boot is None:
        return page
    hrefs = MODULEPRELOAD.findall(page[: boot.start()])
    links = "".join(f'<link href="{html.escape(href)}">' for href in hrefs)
    template = (
        f"<template {MARK}>{links}<pre>{html.escape(boot.group(1))}</pre></template>"
        f"<script>{LOADER_JS}</script>"
    )
    return MODULEPRELOAD.sub("", page[: boot.start()]) + template + page[boot.end() :]


def defer_boot_in(static_dir: Path) -> int:
    """Rewrite every exported HTML file under `static_dir`; the number rewritten."""
    rewritten = 0
    for path in static_dir.rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        new = defer_boot(page)
        if new != page:
            path.write_text(new, encoding="utf-8")
            rewritten += 1
    return rewritten


def shell_for(path: str) -> str | None:
    """The prerendered shell that answers `path` (`/image/42` -> `/image/0`), if any."""
    for pattern, shell in SHELLS.values():
        if pattern.match(path):
            return shell
    return None


def prerender_shells(config_js: str) -> str:
    """react-router.config.js with the shells added to "prerender every static route"."""
    if PRERENDER_ALL not in config_js:
        return config_js  # prerendering off (dev server), or already rewritten
    shells = ", ".join(json.dumps(shell) for _, shell in SHELLS.values())
    paths = f'"prerender": ({{getStaticPaths}}) => [...getStaticPaths(), {shells}]'
    return config_js.replace(PRERENDER_ALL, paths)


class FirstPaintBuild(Plugin):
    """Hooks the two changes into Reflex's build: the shells as the compile writes
    react-router.config.js, the deferred boot after the export, before Reflex writes the brotli
    and gzip sidecars and copies the SPA fallback to 404.html."""

    def pre_compile(self, **context: Any) -> None:
        from reflex_base.constants import ReactRouter

        # Runs after the compile has written the file (reflex/compiler/compiler.py).
        context["add_modify_task"](ReactRouter.CONFIG_FILE, prerender_shells)

    def post_build(self, **context: Any) -> None:
        count = defer_boot_in(Path(context["static_dir"]))
        log.info("deferred the JavaScript boot in %d HTML files", count)
