"""First paint, at build time: a Reflex build plugin (issue 16).

Shells for the dynamic public pages.
React Router prerenders every static route; a dynamic one (/image/<id>, /u/<name>) is served the
empty SPA fallback, so nothing paints until the JavaScript has loaded and rendered.
`prerender_shells` adds one path per such route (`SHELLS`: /image/0, /u/_, ids no record can
have) to the prerender list: the page as it first renders, nav, headings and skeletons, before
any data. The server answers /image/<id> with that file (api/static_cache.py, `shell_for`);
React hydrates it at the real address (the page renders from state, never from the URL, so the
markup is the same for every id) and `on_load` brings the data as before.

Content before code: the public pages people open from a link fetch their JavaScript once they
have painted (`defer_boot` on DEFERRED_PAGES, after the build: `post_build`), and so does /create.
"""

from __future__ import annotations

import json
import re
from html import escape, unescape
from pathlib import Path
from typing import Any

from reflex_base.plugins.base import Plugin

# Route pattern of each dynamic public page -> the path prerendered as its shell. The shell ids
# are outside what services/users.py and the database allow, so no real page is shadowed.
SHELLS: dict[str, tuple[re.Pattern[str], str]] = {
    "/image/[image_id]": (re.compile(r"^/image/\d{1,10}$"), "/image/0"),
    "/u/[profile_name]": (re.compile(r"^/u/[a-z0-9_]{1,40}$"), "/u/_"),
}
PRERENDER_ALL = '"prerender": true'
CHUNK_GROUPS = "groups: ["
# Every package module that two or more routes use goes into one chunk. Vite's automatic split
# made ~30 files for the first screen, most under 2 KB (a Radix part each), and a phone on HTTP/1.1
# fetches six at a time: each wave costs a round trip before the first paint. A package module
# only one page uses stays in that page's chunk.
SHARED_VENDOR_GROUP = '{ name: "vendor", test: /node_modules/, minShareCount: 2 },'


# The skeleton's picture box shows the page's first picture before React runs. The head script
# writes this style once its JSON is in (components/first_paint.py); on an image page the
# server has already written it into the HTML (api/image_shell.py). `url_literal` is a CSS
# string: a JSON-quoted URL.
FIRST_PICTURE_STYLE_ID = "ps-first-pic"


def first_picture_css(url_literal: str) -> str:
    return (
        ".ps-skel.ps-first-pic{background:center/cover no-repeat url(" + url_literal + ");"
        "animation:none}.ps-picture-skel.ps-first-pic{background-size:contain}"
    )


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


def group_shared_vendor(vite_config: str) -> str:
    """vite.config.js with the shared package modules in one chunk (SHARED_VENDOR_GROUP)."""
    if CHUNK_GROUPS not in vite_config or SHARED_VENDOR_GROUP in vite_config:
        return vite_config
    groups = f"{CHUNK_GROUPS}\n            {SHARED_VENDOR_GROUP}"
    return vite_config.replace(CHUNK_GROUPS, groups, 1)


# React Router's boot, as it prerenders it: a modulepreload link per entry module in the head,
# then one inline module script importing them and the client entry.
_MODULEPRELOAD = re.compile(r'<link rel="modulepreload" href="([^"]+)"/>')
_BOOT = re.compile(r'<script type="module" async="">(.*?)</script>', re.S)
BOOT_ID = "ps-boot"
# Waits for the picture the head script preloads (components/first_paint.py: `picture`), never
# longer than this, and starts at this at the latest where frames do not run (a hidden tab).
BOOT_CAP_MS = 1500
BOOT_LOADER_JS = """(function () {
  var boot = document.getElementById("__BOOT_ID__"), started = false;
  function go() {
    if (started) return;
    started = true;
    JSON.parse(boot.dataset.modules).forEach(function (href) {
      var l = document.createElement("link");
      l.rel = "modulepreload"; l.href = href;
      document.head.appendChild(l);
    });
    var s = document.createElement("script");
    s.type = "module"; s.textContent = boot.textContent;
    document.body.appendChild(s);
  }
  function afterPaint(then) { requestAnimationFrame(function () { setTimeout(then, 0); }); }
  // The first paint as the browser stamps it (its frame on screen), where it says so; a frame
  // after this one could still come before that stamp.
  function painted(then) {
    var types = window.PerformanceObserver && PerformanceObserver.supportedEntryTypes;
    if (!types || types.indexOf("paint") < 0) return afterPaint(then);
    new PerformanceObserver(function (list, observer) {
      if (!list.getEntriesByName("first-contentful-paint").length) return;
      observer.disconnect();
      then();
    }).observe({ type: "paint", buffered: true });
  }
  var first = window.__psFirstPaint, picture = (first && first.picture) || Promise.resolve();
  painted(function () { picture.then(function () { afterPaint(go); }); });
  setTimeout(go, __CAP__);
})();""".replace("__BOOT_ID__", BOOT_ID).replace("__CAP__", str(BOOT_CAP_MS))


# The pages whose JavaScript waits for their first paint (`defer_boot`): the public pages people
# open from a link, whose first screen is content to look at, and /create, whose form is in
# its HTML but inert until the app has loaded and learnt who is signed in (a disabled
# fieldset: pages/studio/create.py), so nothing typed there can be lost. Pages with a live form
# in their HTML (log in, sign up) keep their JavaScript first: a form used before the app has
# loaded would do nothing.
DEFERRED_PAGES = ("/", "/explore", "/create", *(shell for _, shell in SHELLS.values()))
_INERT_BOOT = '<script type="text/ps-boot" id="' + BOOT_ID + '" data-modules="{}">'
_DEFERRED = re.compile(re.escape(_INERT_BOOT).replace(r"\{\}", '([^"]*)'))


def deferred_page_files(static_dir: Path) -> list[Path]:
    """The build's HTML files of DEFERRED_PAGES (`explore/index.html` and `explore.html`)."""
    files = []
    for page in DEFERRED_PAGES:
        name = page.strip("/")
        candidates = [static_dir / name / "index.html"]
        candidates += [static_dir / f"{name}.html"] if name else []
        files += [f for f in candidates if f.is_file()]
    return files


def deferred_modules(html: str) -> list[str]:
    """The modules a deferred page's loader fetches (none for a page left as built)."""
    found = _DEFERRED.search(html)
    return json.loads(unescape(found.group(1))) if found else []


def defer_boot(html: str) -> str:
    """The page with its JavaScript fetched after its first paint (and its first picture).

    Prerendered, a page paints with no script at all; React only takes it over. But its head
    named ~240 KiB of modules at high priority, fetched beside the stylesheet and the picture,
    which a phone's link then shares with them; Lighthouse counts them all before the first
    paint (FCP 2.8 s on every page, 1.1 s without them; Chromium itself painted early either
    way: bench/RESULTS.md). Here the modulepreload links leave the head and the boot script
    becomes inert data (`BOOT_ID`); `BOOT_LOADER_JS` adds both back once the page has painted
    and the head script's first picture is in, or after BOOT_CAP_MS. Until React runs, a form
    submitted is held and sent then (theme.HOLD_SUBMITS_JS), and links navigate as plain
    links. A page without the boot is left alone."""
    boot = _BOOT.search(html)
    if boot is None:
        return html
    modules = escape(json.dumps(_MODULEPRELOAD.findall(html[: boot.start()])))
    inert = _INERT_BOOT.format(modules) + f"{boot.group(1)}</script>"
    head = _MODULEPRELOAD.sub("", html[: boot.start()])
    return f"{head}{inert}<script>{BOOT_LOADER_JS}</script>{html[boot.end() :]}"


class FirstPaintBuild(Plugin):
    """Adds the shells and the shared chunk as the compile writes the build's config files,
    and defers each prerendered page's JavaScript once the build has written them."""

    def pre_compile(self, **context: Any) -> None:
        from reflex_base.constants import ReactRouter

        # Runs after the compile has written the files (reflex/compiler/compiler.py).
        context["add_modify_task"](ReactRouter.CONFIG_FILE, prerender_shells)
        context["add_modify_task"](ReactRouter.VITE_CONFIG_FILE, group_shared_vendor)

    def post_build(self, **context: Any) -> None:
        # Before Reflex pre-compresses the build, so the .gz/.br files hold the same page.
        for page in deferred_page_files(context["static_dir"]):
            page.write_text(defer_boot(page.read_text(encoding="utf-8")), encoding="utf-8")
