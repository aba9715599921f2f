"""pixel_studio/frontend_build.py: the dynamic public pages get prerendered shells; the serving
side is tests/api/test_static_cache.py, the browser side tests/e2e/test_web_vitals_e2e.py."""

from __future__ import annotations

from reflex.utils.frontend_skeleton import _compile_vite_config
from reflex_base.config import get_config

from pixel_studio.frontend_build import (
    SHARED_VENDOR_GROUP,
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
