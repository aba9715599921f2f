"""Plugin discovery: entry points from a real dist-info folder on sys.path, built-ins, and
everything that must leave one plugin out (and log why) while the rest load."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from pixel_studio import catalog, cli
from pixel_studio.plugins import discovery
from pixel_studio.plugins.api import (
    PAGES_GROUP,
    PROVIDERS_GROUP,
    STORAGE_GROUP,
    NavEntry,
    PagePlugin,
    ProviderPlugin,
)
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import get_storage, reset_storage_cache
from tests.plugins.fixtures import use_plugins

GOOD = """
from pixel_studio.catalog import ModelSpec
from pixel_studio.plugins.api import ProviderPlugin

def _create(spec, settings, timeout):
    from pixel_studio.providers.local_sketch import LocalSketchProvider
    return LocalSketchProvider()

def _availability(spec, settings):
    return False, "Needs FAKE_URL."

plugin = ProviderPlugin(
    kind="fake",
    models=(ModelSpec(id="fake-model", provider="fake", display_name="Fake", description="",
                      price=3, sizes=((64, 64),), default_size=(64, 64),
                      operations=(("upscale", 2),)),),
    create=_create,
    availability=_availability,
)
"""
BROKEN = "import a_module_that_does_not_exist\n"
FUTURE = GOOD.replace("availability=_availability,", "availability=_availability, api_version=99,")
NOT_A_PLUGIN = "plugin = 'a string'\n"
DUPLICATE = GOOD.replace('id="fake-model"', 'id="dall-e-2"').replace('"fake"', '"fake2"')
STORE = '''
from pixel_studio.plugins.api import StoragePlugin
from pixel_studio.storage.local import LocalStorage

class MemoryishStorage(LocalStorage):
    """A LocalStorage under another name: enough to see which store was chosen."""

plugin = StoragePlugin(
    configured=lambda settings: settings.s3_prefix == "use-fake",
    build=MemoryishStorage,
    cache_key=lambda settings: ("fake", str(settings.media_dir)),
)
'''

# Reads the catalog at import: the catalog is what is being loaded, so this must be refused.
EAGER = "from pixel_studio.catalog import get_model\n\nplugin = get_model('local-sketch')\n"

MODULES = {
    "ps_fake_eager": EAGER,
    "ps_fake_good": GOOD,
    "ps_fake_broken": BROKEN,
    "ps_fake_future": FUTURE,
    "ps_fake_string": NOT_A_PLUGIN,
    "ps_fake_duplicate": DUPLICATE,
    "ps_fake_store": STORE,
}
ENTRY_POINTS = """
[pixel_studio.providers]
fake-good = ps_fake_good:plugin
fake-broken = ps_fake_broken:plugin
fake-future = ps_fake_future:plugin
fake-string = ps_fake_string:plugin
fake-duplicate = ps_fake_duplicate:plugin
fake-eager = ps_fake_eager:plugin

[pixel_studio.storage]
fake-store = ps_fake_store:plugin
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out like site-packages: modules and the dist-info naming them."""
    root = tmp_path_factory.mktemp("site")
    for name, source in MODULES.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))
    info = root / "ps_fake_plugins-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ps-fake-plugins\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return root


@pytest.fixture
def installed(site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("DISABLED_PLUGINS", raising=False)
    discovery.reset()
    get_settings.cache_clear()  # DISABLED_PLUGINS is read through the cached settings
    yield site
    discovery.reset()
    get_settings.cache_clear()


def _by_name(group: str) -> dict[str, str]:
    return {r.name: r.status for r in discovery.records(group)}


def test_good_plugin_loads_and_bad_ones_are_skipped_and_logged(
    installed: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="pixel_studio.plugins.discovery")
    status = _by_name(PROVIDERS_GROUP)
    assert status["fake-good"] == "loaded"
    assert status["fake-broken"].startswith("skipped: failed to load: ModuleNotFoundError")
    assert status["fake-future"] == (
        "skipped: plugin API version 99 is not supported (supported: 1)"
    )
    assert status["fake-string"].startswith("skipped: ps_fake_string:plugin is a str")
    assert status["fake-duplicate"] == "skipped: model id 'dall-e-2' is already in the catalog"
    assert status["fake-eager"] == (
        "skipped: failed to load: RuntimeError: plugins of pixel_studio.providers used while "
        "they are being loaded"
    )
    # The built-ins are all there, and come first.
    names = [r.name for r in discovery.records(PROVIDERS_GROUP)]
    assert names[:5] == [
        "local-sketch",
        "openai",
        "huggingface",
        "local-diffusers",
        "local-upscaler",
    ]
    logged = caplog.text
    for name in ("fake-broken", "fake-future", "fake-string", "fake-duplicate"):
        assert f"plugin {name} (pixel_studio.providers, ps-fake-plugins 1.2.3) skipped" in logged
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "fake-good" in r.msg]


def test_a_plugin_model_joins_the_catalog_after_the_built_ins(installed: Path) -> None:
    ids = [m.id for m in catalog.all_models(include_edit_only=True)]
    builtin = [m.id for m in catalog.BUILTIN_MODELS]
    assert ids[: len(builtin)] == builtin and "fake-model" in ids[len(builtin) :]
    assert "dall-e-2" in ids and ids.count("dall-e-2") == 1  # the duplicate did not replace it
    spec = catalog.get_model("fake-model")
    assert (spec.provider, spec.price_of("text"), spec.price_of("upscale")) == ("fake", 3, 2)
    assert "fake-model" in [m.id for m in catalog.models_for("upscale")]
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert catalog.availability(spec, settings) == (False, "Needs FAKE_URL.")
    assert "fake-model" not in [m.id for m in catalog.available_models(settings)]


def test_disabled_plugins_are_skipped_by_name(
    installed: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DISABLED_PLUGINS", " fake-good ,openai")
    caplog.set_level(logging.INFO, logger="pixel_studio.plugins.discovery")
    records = {r.name: r for r in discovery.records(PROVIDERS_GROUP)}
    assert records["fake-good"].status == "disabled" and records["fake-good"].plugin is None
    with pytest.raises(catalog.UnknownModelError):
        catalog.get_model("fake-model")
    # A built-in cannot be turned off: the default model must always be there.
    assert records["openai"].status == "loaded"
    assert "openai is built in and cannot be disabled" in caplog.text
    assert "fake-good (pixel_studio.providers, ps-fake-plugins 1.2.3) is disabled" in caplog.text


def test_the_cli_lists_each_plugin_with_its_source_version_and_status(
    installed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "GROUP", "SOURCE", "STATUS"]
    # Columns start where the header's words do (their widths follow the longest cell).
    starts = [lines[0].index(word) for word in ("GROUP", "SOURCE", "STATUS")]

    def cells(line: str) -> list[str]:
        bounds = [0, *starts, len(line)]
        return [line[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]

    rows = {cells(line)[0]: cells(line)[1:] for line in lines[1:]}
    assert rows["fake-good"] == [PROVIDERS_GROUP, "ps-fake-plugins 1.2.3", "loaded"]
    assert rows["fake-future"][2].startswith("skipped: plugin API version 99")
    assert rows["local-sketch"] == [PROVIDERS_GROUP, "built-in", "loaded"]
    assert rows["local"] == [STORAGE_GROUP, "built-in", "loaded"]
    assert rows["fake-store"] == [STORAGE_GROUP, "ps-fake-plugins 1.2.3", "loaded"]


def test_a_configured_storage_plugin_is_chosen_else_the_built_ins(
    installed: Path, tmp_path: Path
) -> None:
    reset_storage_cache()
    try:
        plain = Settings(_env_file=None, data_dir=tmp_path, secret_key="k")  # type: ignore[call-arg]
        assert type(get_storage(plain)).__name__ == "LocalStorage"
        fake = plain.model_copy(update={"s3_prefix": "use-fake"})
        assert type(get_storage(fake)).__name__ == "MemoryishStorage"
        assert [n for n, _ in discovery.storage_plugins()] == ["fake-store", "s3", "local"]
    finally:
        reset_storage_cache()


# Plugin objects the hand-made entry points below name.
PAGE_A = PagePlugin("/a", "A", lambda: None)
PAGE_B = PagePlugin("b", "B", lambda: None)


def make_page() -> PagePlugin:
    return PagePlugin("/m", "M", str)


def _crash(_spec: object, _settings: object) -> tuple[bool, str]:
    raise RuntimeError("boom")


CRASHY = ProviderPlugin(
    kind="crashy",
    models=(
        catalog.ModelSpec(
            id="crashy",
            provider="crashy",
            display_name="C",
            description="",
            price=1,
            sizes=((64, 64),),
            default_size=(64, 64),
        ),  # fmt: skip
    ),
    create=lambda *_args: None,  # type: ignore[arg-type,return-value]
    availability=_crash,
)


def _ep(name: str, value: str, group: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=group)


def test_pages_need_a_free_route_and_the_right_class(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [
        _ep("page-a", f"{__name__}:PAGE_A", PAGES_GROUP),
        _ep("page-a2", f"{__name__}:PAGE_A", PAGES_GROUP),  # the same route again
        _ep("page-b", f"{__name__}:PAGE_B", PAGES_GROUP),
        _ep("Bad Name", f"{__name__}:PAGE_A", PAGES_GROUP),
        _ep("provider", "pixel_studio.storage.builtin:local", PAGES_GROUP),
    ]
    use_plugins(monkeypatch, PAGES_GROUP, found)
    status = _by_name(PAGES_GROUP)
    assert status == {
        "Bad Name": "skipped: invalid name (lower-case letters, digits, '-', '_', '.')",
        "page-a": "loaded",
        "page-a2": "skipped: route '/a' is invalid or taken",
        "page-b": "skipped: route 'b' is invalid or taken",
        "provider": (
            "skipped: pixel_studio.storage.builtin:local is a StoragePlugin, not a PagePlugin"
        ),
    }
    assert [name for name, _ in discovery.page_plugins()] == ["page-a"]


def test_a_factory_function_may_stand_for_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    use_plugins(monkeypatch, PAGES_GROUP, [_ep("made", f"{__name__}:make_page", PAGES_GROUP)])
    assert [(n, p.route) for n, p in discovery.page_plugins()] == [("made", "/m")]


def test_a_provider_whose_availability_check_crashes_is_unavailable_not_fatal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = [_ep("crashy", f"{__name__}:CRASHY", PROVIDERS_GROUP)]
    use_plugins(monkeypatch, PROVIDERS_GROUP, found)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    ok, reason = catalog.availability(catalog.get_model("crashy"), settings)
    assert not ok and reason == "The crashy provider failed to check itself: boom"


NAV_MEMBERS = PagePlugin("/members", "Members", str, nav=NavEntry("Members", "/members"))
NAV_ALL = PagePlugin(
    "/all", "All", str, nav=NavEntry("All", "/all", icon="globe", signed_in_only=False)
)


def test_page_plugins_nav_entries_for_members_and_visitors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pixel_studio.components.nav import plugin_nav

    found = [
        _ep("members", f"{__name__}:NAV_MEMBERS", PAGES_GROUP),
        _ep("all", f"{__name__}:NAV_ALL", PAGES_GROUP),
        _ep("no-nav", f"{__name__}:PAGE_A", PAGES_GROUP),
    ]
    use_plugins(monkeypatch, PAGES_GROUP, found)
    assert [e.label for e in plugin_nav(signed_in=True)] == ["All", "Members"]
    assert [(e.label, e.icon) for e in plugin_nav(signed_in=False)] == [("All", "globe")]
