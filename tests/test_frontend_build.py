"""pixel_studio.frontend_build.py: the exported HTML loads its JavaScript after the first paint.

The browser side (the page still hydrates and works) is every browser test; the rewritten
build is checked in tests/e2e/test_web_vitals_e2e.py.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from pixel_studio.frontend_build import MARK, defer_boot, defer_boot_in, prerender_shells, shell_for
from pixel_studio.services.users import USERNAME_RE

BOOT = (
    'import "/assets/manifest-1.js";\nimport * as route0 from "/assets/root-2.js";\n'
    'window.__reactRouterRouteModules = {"root":route0};\nimport("/assets/entry.client-3.js");'
)
PAGE = (
    '<!DOCTYPE html><html><head><meta charSet="utf-8"/>'
    '<link rel="modulepreload" href="/assets/manifest-1.js"/>'
    '<link rel="modulepreload" href="/assets/root-2.js"/>'
    '<link href="/assets/styles-4.css" rel="stylesheet" type="text/css"/>'
    "</head><body><main><h1>Pixel Studio</h1></main>"
    "<script>window.__reactRouterContext = {};</script>"
    f'<script type="module" async="">{BOOT}</script>'
    "<script>window.__reactRouterContext.streamController.close();</script>"
    "</body></html>"
)


def test_moves_preloads_and_boot_script_into_an_inert_template() -> None:
    out = defer_boot(PAGE)
    head = out[: out.index("</head>")]
    assert "modulepreload" not in head
    assert '<script type="module"' not in out  # no module runs before the loader says so
    template = re.search(r"<template id=\"ps-deferred-boot\">(.*?)</template>", out, re.S)
    assert template is not None
    assert re.findall(r'<link href="([^"]+)">', template.group(1)) == [
        "/assets/manifest-1.js",
        "/assets/root-2.js",
    ]
    pre = re.search(r"<pre>(.*?)</pre>", template.group(1), re.S)
    assert pre is not None and html.unescape(pre.group(1)) == BOOT  # the boot script, intact
    # The loader runs where the boot script stood; the stylesheet and the page stay as they were.
    assert out.index("ps-deferred-boot") < out.index("streamController.close")
    assert "requestAnimationFrame" in out and "visibilityState" in out
    assert '<link href="/assets/styles-4.css" rel="stylesheet" type="text/css"/>' in head
    assert "<main><h1>Pixel Studio</h1></main>" in out


def test_a_page_is_rewritten_once_and_a_page_without_boot_script_is_left_alone() -> None:
    once = defer_boot(PAGE)
    assert MARK in once and defer_boot(once) == once
    plain = "<html><head></head><body><p>static</p></body></html>"
    assert defer_boot(plain) == plain


def test_defer_boot_in_rewrites_every_exported_page(tmp_path: Path) -> None:
    (tmp_path / "explore").mkdir()
    for name in ("index.html", "explore/index.html", "__spa-fallback.html"):
        (tmp_path / name).write_text(PAGE, encoding="utf-8")
    (tmp_path / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    assert defer_boot_in(tmp_path) == 3
    assert all(MARK in p.read_text() for p in tmp_path.rglob("*.html"))
    assert defer_boot_in(tmp_path) == 0  # a second build step finds nothing left to do


def test_the_shells_join_the_prerendered_paths() -> None:
    config = (
        'export default {"basename": "/", "future": {"unstable_optimizeDeps": true}, '
        '"ssr": false, "prerender": true, "build": "build"};'
    )
    out = prerender_shells(config)
    assert '"prerender": ({getStaticPaths}) => [...getStaticPaths(), "/image/0", "/u/_"]' in out
    assert out.replace(
        out[out.index('"prerender"') : out.index(', "build"')], ""
    ) == config.replace('"prerender": true', "")
    assert prerender_shells(out) == out  # once only
    dev = 'export default {"basename": "/", "ssr": false};'  # no prerendering: left alone
    assert prerender_shells(dev) == dev


def test_shell_for_maps_only_addresses_no_record_shadows() -> None:
    assert shell_for("/image/42") == "/image/0"
    assert shell_for("/u/ada_99") == "/u/_"
    for path in ("/image/", "/image/4x", "/u/ada/followers", "/u/", "/explore", "/u/ADA"):
        assert shell_for(path) is None, path
    # The shells themselves are not real records: ids start at 1; user names are 3-20 chars.
    assert not USERNAME_RE.match("_")
