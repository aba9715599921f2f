"""pixel_studio/frontend_build.py: the dynamic public pages get prerendered shells; the serving
side is tests/api/test_static_cache.py, the browser side tests/e2e/test_web_vitals_e2e.py."""

from __future__ import annotations

import re
from pathlib import Path

from reflex.utils.frontend_skeleton import _compile_vite_config
from reflex_base.config import get_config

from pixel_studio.frontend_build import (
    BOOT_CAP_MS,
    BOOT_LOADER_JS,
    SHARED_VENDOR_GROUP,
    defer_boot,
    deferred_modules,
    deferred_page_files,
    group_shared_vendor,
    prerender_shells,
    shell_for,
)
from pixel_studio.services.users import USERNAME_RE


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


def test_the_shared_packages_group_joins_reflex_own_vite_config() -> None:
    """Reflex's own template (what the compile writes), so a Reflex upgrade that moves the
    chunk groups fails here rather than silently shipping ~30 boot scripts again."""
    config = _compile_vite_config(get_config())
    out = group_shared_vendor(config)
    assert out.count(SHARED_VENDOR_GROUP) == 1
    assert out.replace(SHARED_VENDOR_GROUP, "").split() == config.split()
    assert 'name: "reflex-env"' in out  # Reflex's own group is kept
    assert group_shared_vendor(out) == out  # once only


# React Router's boot as its prerender writes it (a page of this build, cut down).
PRERENDERED = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
    '<link rel="modulepreload" href="/assets/manifest-1.js"/>'
    '<link rel="modulepreload" href="/assets/entry.client-2.js"/>'
    '<link rel="modulepreload" href="/assets/vendor-3.js"/>'
    "<script>window.__psFirstPaint = {};</script></head><body><main>Explore</main>"
    '<script>window.__reactRouterContext = {"ssr":false};</script>'
    '<script type="module" async="">import "/assets/manifest-1.js";\n'
    'import * as route0 from "/assets/root-4.js";\n'
    'window.__reactRouterRouteModules = {"root":route0};\n'
    'import("/assets/entry.client-2.js");</script></body></html>'
)


def test_a_page_fetches_its_javascript_after_its_first_paint() -> None:
    out = defer_boot(PRERENDERED)
    assert "modulepreload" not in out.split("</head>")[0]  # the head names no script to fetch
    assert '<script type="module"' not in out  # and the HTML runs none itself
    boot = re.search(r'<script type="text/ps-boot" id="ps-boot" data-modules="[^"]*">', out)
    assert boot is not None
    assert deferred_modules(out) == [
        "/assets/manifest-1.js",
        "/assets/entry.client-2.js",
        "/assets/vendor-3.js",
    ]
    assert deferred_modules(PRERENDERED) == []
    script = PRERENDERED.split('async="">')[1].split("</script>")[0]
    assert f"{boot.group(0)}{script}</script><script>{BOOT_LOADER_JS}</script>" in out

    # Everything else is the page as prerendered, in order.
    def without_boot(page: str, start: str) -> str:
        return page.replace(page[page.index(start) : page.index("</body>")], "")

    kept = re.sub(r'<link rel="modulepreload" href="[^"]+"/>', "", PRERENDERED)
    assert without_boot(out, '<script type="text/ps-boot"') == without_boot(
        kept, '<script type="module"'
    )
    assert defer_boot(out) == out  # once only
    plain = "<html><head></head><body><p>no boot</p></body></html>"
    assert defer_boot(plain) == plain


def test_the_loader_waits_for_paint_and_picture_but_never_forever() -> None:
    assert "requestAnimationFrame" in BOOT_LOADER_JS and "picture.then" in BOOT_LOADER_JS
    assert '"first-contentful-paint"' in BOOT_LOADER_JS  # the paint as stamped, not a frame
    assert f"setTimeout(go, {BOOT_CAP_MS})" in BOOT_LOADER_JS  # frames stop in hidden tabs
    assert "__" not in BOOT_LOADER_JS.replace("__psFirstPaint", "")  # every placeholder filled


def test_the_content_pages_and_create_are_deferred_not_log_in(tmp_path: Path) -> None:
    for name in ("index.html", "explore/index.html", "explore.html", "image/0/index.html",
                 "u/_.html", "create/index.html", "login/index.html", "login.html",
                 "__spa-fallback.html"):  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(PRERENDERED)
    found = {p.relative_to(tmp_path).as_posix() for p in deferred_page_files(tmp_path)}
    assert found == {
        "index.html",
        "explore/index.html",
        "explore.html",
        "image/0/index.html",
        "u/_.html",
        "create/index.html",
    }
