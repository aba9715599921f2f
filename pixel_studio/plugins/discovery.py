"""Finding and loading plugins: the built-ins, then each installed entry point.

Each group is loaded once per process, the first time it is asked for (`records`), so the
worker never imports a page plugin's Reflex code and the web app loads providers only when the
catalog is first read. Anything wrong with one plugin (it fails to import, gives the wrong kind
of object, declares an API version we do not support, clashes with a name, a model id or a
route already taken) is logged and that plugin skipped: the app starts without it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from pixel_studio.plugins.api import (
    GROUPS,
    NAME_PATTERN,
    PAGES_GROUP,
    PLUGIN_CLASSES,
    PROVIDERS_GROUP,
    STORAGE_GROUP,
    SUPPORTED_API_VERSIONS,
    PagePlugin,
    Plugin,
    PluginRecord,
    ProviderPlugin,
    StoragePlugin,
)

if TYPE_CHECKING:
    from pixel_studio.model_spec import ModelSpec

log = logging.getLogger(__name__)

BUILT_IN = "built-in"
BUILTIN_DIST = "pixel-studio"
# The order built-ins are listed and tried in (stores after installed ones; local is always
# configured, so it is the last resort).
_BUILTIN_ORDER = {
    name: i
    for i, name in enumerate(
        (
            "local-sketch",
            "openai",
            "huggingface",
            "local-diffusers",
            "local-upscaler",
            "s3",
            "local",
        )
    )
}
LOADED = "loaded"
DISABLED = "disabled"

_lock = threading.RLock()
_loaded: dict[str, list[PluginRecord]] = {}
_loading: set[str] = set()
# The catalog's models and their index by id, derived from the loaded providers: read on every
# price and model lookup, so built once (cleared with the rest by `reset`).
_models: dict[str, Any] = {}


class _Skip(Exception):
    """Why one plugin is left out; the message is its status."""


def disabled_names() -> frozenset[str]:
    """DISABLED_PLUGINS from the settings (environment or .env)."""
    from pixel_studio.settings import get_settings

    return get_settings().disabled_plugin_names


def _is_builtin(ep: EntryPoint) -> bool:
    """Pixel Studio's own plugins (providers/builtin.py, storage/builtin.py) are entry points of
    its own distribution, declared in its pyproject.toml like any plugin's."""
    return ep.dist is not None and ep.dist.name.replace("_", "-").lower() == BUILTIN_DIST


def _builtins(group: str, installed: Iterable[EntryPoint]) -> dict[str, Plugin]:
    ours = sorted(
        (ep for ep in installed if _is_builtin(ep)),
        key=lambda ep: (_BUILTIN_ORDER.get(ep.name, 0), ep.name),
    )
    if group != PAGES_GROUP and not ours:
        raise RuntimeError(
            f"Pixel Studio's own {group} plugins are not registered in this environment: "
            "reinstall it (make setup, or pip install -e .)"
        )
    # Our own code: a failure here is a bug to see, not a plugin to skip.
    return {ep.name: ep.load() for ep in ours}


def _source(ep: EntryPoint) -> str:
    dist = ep.dist
    if dist is None:  # an entry point made by hand (tests)
        return "unknown"
    return f"{dist.name} {dist.version}"


def _load_object(ep: EntryPoint, cls: type[Any]) -> Plugin:
    try:
        obj = ep.load()
        if not isinstance(obj, cls) and callable(obj):
            obj = obj()  # a factory function returning the plugin
    except Exception as exc:  # any import-time error of someone else's code
        raise _Skip(f"failed to load: {type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, cls):
        raise _Skip(f"{ep.value} is a {type(obj).__name__}, not a {cls.__name__}")
    version = getattr(obj, "api_version", None)
    if version not in SUPPORTED_API_VERSIONS:
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_API_VERSIONS))
        raise _Skip(f"plugin API version {version!r} is not supported (supported: {supported})")
    plugin: Plugin = obj
    return plugin


class _Checker:
    """What plugins of one group must not share (provider kinds, model ids, routes)."""

    def __init__(self) -> None:
        self.kinds: set[str] = set()
        self.model_ids: set[str] = set()
        self.routes: set[str] = set()

    def admit(self, plugin: Plugin) -> None:
        if isinstance(plugin, ProviderPlugin):
            self._provider(plugin)
        elif isinstance(plugin, PagePlugin):
            if not plugin.route.startswith("/") or plugin.route in self.routes:
                raise _Skip(f"route {plugin.route!r} is invalid or taken")
            self.routes.add(plugin.route)

    def _provider(self, plugin: ProviderPlugin) -> None:
        if not NAME_PATTERN.fullmatch(plugin.kind) or plugin.kind in self.kinds:
            raise _Skip(f"provider kind {plugin.kind!r} is invalid or taken")
        if not plugin.models:
            raise _Skip("declares no models")
        ids = [m.id for m in plugin.models]
        wrong = [m.id for m in plugin.models if m.provider != plugin.kind]
        if wrong:
            raise _Skip(f"models {wrong} are not of provider kind {plugin.kind!r}")
        if len(set(ids)) < len(ids):
            raise _Skip("declares a model id twice")
        clash = sorted(set(ids) & self.model_ids)
        if clash:
            raise _Skip(f"model id {clash[0]!r} is already in the catalog")
        self.kinds.add(plugin.kind)
        self.model_ids.update(ids)


def discover(
    group: str,
    *,
    found: Iterable[EntryPoint] | None = None,
    disabled: frozenset[str] | None = None,
    builtins: dict[str, Plugin] | None = None,
) -> list[PluginRecord]:
    """Load the plugins of `group`: the built-ins and every entry point (or those in `found`),
    leaving out the names in `disabled` (default: DISABLED_PLUGINS). Storage plugins come
    first (the first configured store wins, the built-ins are the fallback); providers and
    pages after the built-ins, by name."""
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r}")
    installed = list(entry_points(group=group)) if builtins is None or found is None else []
    if builtins is None:
        builtins = _builtins(group, installed)
    if found is None:
        found = [ep for ep in installed if not _is_builtin(ep)]
    if disabled is None:
        disabled = disabled_names()
    for name in sorted(disabled & builtins.keys()):
        log.warning("plugin %s is built in and cannot be disabled (DISABLED_PLUGINS)", name)
    checker = _Checker()
    built = [PluginRecord(n, group, BUILT_IN, LOADED, p) for n, p in builtins.items()]
    for record in built:
        if record.plugin is not None:
            checker.admit(record.plugin)
    taken = set(builtins)
    added: list[PluginRecord] = []
    for ep in sorted(found, key=lambda e: e.name):
        added.append(_one(ep, group, disabled, taken, checker))
    return added + built if group == STORAGE_GROUP else built + added


def _one(
    ep: EntryPoint, group: str, disabled: frozenset[str], taken: set[str], checker: _Checker
) -> PluginRecord:
    source = _source(ep)
    if ep.name in disabled:
        log.info("plugin %s (%s, %s) is disabled by DISABLED_PLUGINS", ep.name, group, source)
        return PluginRecord(ep.name, group, source, DISABLED)
    try:
        if not NAME_PATTERN.fullmatch(ep.name):
            raise _Skip("invalid name (lower-case letters, digits, '-', '_', '.')")
        if ep.name in taken:
            raise _Skip("another plugin of this group has the same name")
        plugin = _load_object(ep, PLUGIN_CLASSES[group])
        checker.admit(plugin)
    except _Skip as why:
        status = f"skipped: {why}"
        log.warning("plugin %s (%s, %s) %s", ep.name, group, source, status)
        return PluginRecord(ep.name, group, source, status)
    taken.add(ep.name)
    log.info("plugin %s (%s, %s) loaded", ep.name, group, source)
    return PluginRecord(ep.name, group, source, LOADED, plugin)


def records(group: str) -> list[PluginRecord]:
    """The plugins of `group`, loaded on first use and kept for the process."""
    with _lock:
        if group not in _loaded:
            if group in _loading:
                # A plugin that reads the catalog (or the stores, the pages) while it is being
                # imported: refused, so it is skipped with this reason instead of recursing.
                raise RuntimeError(f"plugins of {group} used while they are being loaded")
            _loading.add(group)
            try:
                _loaded[group] = discover(group)
            finally:
                _loading.discard(group)
        return _loaded[group]


def loaded_page_plugins() -> list[PagePlugin]:
    """The page plugins loaded so far, without loading any: a reader outside the app's start
    (a worker thread resetting a tab's states) must not import Reflex pages."""
    with _lock:
        return [p for r in _loaded.get(PAGES_GROUP, []) if isinstance(p := r.plugin, PagePlugin)]


def all_records() -> list[PluginRecord]:
    return [r for group in GROUPS for r in records(group)]


def reset() -> None:
    """Forget every loaded group (tests that install or disable a plugin)."""
    with _lock:
        _loaded.clear()
        _models.clear()


def provider_plugins() -> dict[str, ProviderPlugin]:
    """Loaded provider plugins by kind (ModelSpec.provider), built-ins first."""
    return {
        p.kind: p for r in records(PROVIDERS_GROUP) if isinstance(p := r.plugin, ProviderPlugin)
    }


def catalog_models(
    order: Mapping[str, int],
) -> tuple[tuple[ModelSpec, ...], dict[str, ModelSpec]]:
    """Every loaded provider's models and the same by id: those in `order` (the catalog's
    display order of the built-ins) first, then plugins' models in plugin order."""
    with _lock:
        if not _models:
            loaded = [m for p in provider_plugins().values() for m in p.models]
            models = tuple(sorted(loaded, key=lambda m: order.get(m.id, len(order))))
            _models["all"], _models["by_id"] = models, {m.id: m for m in models}
        return _models["all"], _models["by_id"]


def storage_plugins() -> list[tuple[str, StoragePlugin]]:
    """Loaded storage plugins in the order they are tried."""
    return [(r.name, p) for r in records(STORAGE_GROUP) if isinstance(p := r.plugin, StoragePlugin)]


def page_plugins() -> list[tuple[str, PagePlugin]]:
    """Loaded page plugins, by name."""
    return [(r.name, p) for r in records(PAGES_GROUP) if isinstance(p := r.plugin, PagePlugin)]
