"""The plugin API: what a package declares to add an image model, a file store or a page.

A plugin is a plain object, one of the three dataclasses below, named by an entry point in one
of three groups of the plugin package's own ``pyproject.toml``::

    [project.entry-points."pixel_studio.providers"]
    my-model = "my_package.plugin:provider"      # a ProviderPlugin

    [project.entry-points."pixel_studio.storage"]
    my-store = "my_package.store:storage"        # a StoragePlugin

    [project.entry-points."pixel_studio.pages"]
    my-page = "my_package.page:page"             # a PagePlugin

The entry point's name is the plugin's name: what ``pixel-studio plugins`` lists and what
``DISABLED_PLUGINS=a,b`` turns off. An entry point may also name a function without arguments
that returns the plugin object.

Pixel Studio's own providers (local sketch, OpenAI, Hugging Face, local diffusers, the
upscaler) and stores (local folder, S3) are objects of these same classes
(``pixel_studio/providers/builtin.py``, ``pixel_studio/storage/builtin.py``, registered by
entry points in pixel-studio's own pyproject.toml): there is no second way in.

Rules every plugin follows:

- ``api_version`` is the version of this API the plugin was written for. A plugin whose version
  is not in ``SUPPORTED_API_VERSIONS`` is logged and skipped, as is one that fails to import;
  the app starts without it.
- The module an entry point names must import quickly: heavy libraries (a model runtime, an
  SDK) are imported inside ``create`` / ``build``, when a job or a request needs them.
- Settings of the plugin's own (an address, a key) are read by the plugin itself, from the
  environment or ``.env`` (e.g. with a pydantic ``BaseSettings`` of its own); ``availability``
  says which one is missing, so the model is shown greyed out with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for type checkers: this module imports nothing heavy at run time
    from pixel_studio.model_spec import ModelSpec
    from pixel_studio.providers.base import Provider
    from pixel_studio.settings import Settings
    from pixel_studio.storage.base import Storage

# The version of this API. It changes only when a plugin written for the previous one would
# break; then the older versions that still work stay in SUPPORTED_API_VERSIONS.
PLUGIN_API_VERSION = 1
SUPPORTED_API_VERSIONS: frozenset[int] = frozenset({1})

# The entry point groups, one per kind of plugin.
PROVIDERS_GROUP = "pixel_studio.providers"
STORAGE_GROUP = "pixel_studio.storage"
PAGES_GROUP = "pixel_studio.pages"
GROUPS: tuple[str, ...] = (PROVIDERS_GROUP, STORAGE_GROUP, PAGES_GROUP)

# Plugin names and provider kinds: lower-case words joined by "-", "_" or "." (they appear in
# settings, logs and stored job rows).
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")

# (can run here, and if not, the reason a person can act on: "set HTTP_MODEL_URL").
Availability = tuple[bool, str]


def always_available(_spec: ModelSpec, _settings: Settings) -> Availability:
    """The default `ProviderPlugin.availability`: a model that needs nothing to be set."""
    return True, ""


@dataclass(frozen=True)
class ProviderPlugin:
    """Image models and the provider that runs them.

    - ``kind``: the provider's name; every model in ``models`` has ``ModelSpec.provider ==
      kind`` (stored with each job, so keep it stable).
    - ``models``: the models, with their sizes, parameters, operations and prices declared in
      ``pixel_studio.catalog.ModelSpec`` (``price`` per image from text; ``operations`` the
      edits it can do, each with its price). Ids must not clash with a model already in the
      catalog, or the plugin is skipped.
    - ``create(spec, settings, timeout)``: the provider for one of these models, a
      ``pixel_studio.providers.base.Provider`` (``generate``; ``edit`` too when the model
      declares operations: ``EditingProvider``). Called per job in the worker, only after
      ``availability`` said yes. ``timeout`` is the network timeout in seconds, or None.
    - ``availability(spec, settings)``: whether the model can run here; when not, the create
      form shows it greyed out with the reason and the service refuses jobs for it.
    """

    kind: str
    models: tuple[ModelSpec, ...]
    create: Callable[[ModelSpec, Settings, float | None], Provider]
    availability: Callable[[ModelSpec, Settings], Availability] = always_available
    api_version: int = PLUGIN_API_VERSION


@dataclass(frozen=True)
class StoragePlugin:
    """A file store: where image files live (``pixel_studio.storage.base.Storage``).

    - ``configured(settings)``: whether this store is set up here. The app uses the first
      configured store: installed plugins (by name), then S3 (``S3_BUCKET``), then the local
      folder, which always is. A plugin's store must therefore answer False until its own
      settings are given.
    - ``build(settings)``: the store. It is built once per process for each ``cache_key``
      and shared between threads, so it must be thread-safe.
    - ``cache_key(settings)``: the settings the store is built from, as strings.
    """

    configured: Callable[[Settings], bool]
    build: Callable[[Settings], Storage]
    cache_key: Callable[[Settings], tuple[str, ...]]
    api_version: int = PLUGIN_API_VERSION


@dataclass(frozen=True)
class NavEntry:
    """A link in the top navigation (and the mobile drawer) to a plugin's page.

    ``icon`` is a Lucide icon name as ``rx.icon`` takes it. ``signed_in_only``: shown only to
    signed-in people (the page itself decides what visitors see)."""

    label: str
    href: str
    icon: str = "puzzle"
    signed_in_only: bool = True


@dataclass(frozen=True)
class PagePlugin:
    """A page of the web app.

    - ``route``: its address, Reflex style (``/palette/[image_id]``); it must not be taken.
    - ``title``: the browser tab's title ("Palette" → "Palette · Pixel Studio").
    - ``component``: a function without arguments returning the page (an ``rx.Component``);
      wrap it in ``pixel_studio.components.layout.page_frame`` for the app's nav and footer.
    - ``on_load``: the page's event handlers, run after the viewer is loaded
      (``AuthState.load_user``, or ``AuthState.require_user`` when ``require_user``). A handler
      takes the viewer from the socket's session (``AuthState``), never from its own state,
      and applies the visibility rule (``pixel_studio.services.visibility``).
    - ``nav``: a link to the page in the navigation, or None.
    - ``state``: the page's ``rx.State`` subclass, if any: it is reset like the app's own when
      the viewer signs in or out, and its public methods are event handlers anyone may call,
      so helpers start with an underscore.
    """

    route: str
    title: str
    component: Callable[[], Any]
    on_load: Sequence[Any] = ()
    nav: NavEntry | None = None
    state: type[Any] | None = None
    require_user: bool = False
    api_version: int = PLUGIN_API_VERSION


Plugin = ProviderPlugin | StoragePlugin | PagePlugin

# Which class an entry point of each group must give.
PLUGIN_CLASSES: dict[str, type[Any]] = {
    PROVIDERS_GROUP: ProviderPlugin,
    STORAGE_GROUP: StoragePlugin,
    PAGES_GROUP: PagePlugin,
}


@dataclass(frozen=True)
class PluginRecord:
    """One plugin as discovery found it: what ``pixel-studio plugins`` prints.

    ``source`` is ``"built-in"`` or the distribution that declares it with its version
    (``"pixel-studio-http-provider 0.1.0"``); ``status`` is ``"loaded"``, ``"disabled"`` or
    ``"skipped: <why>"``; ``plugin`` is the object when loaded, else None."""

    name: str
    group: str
    source: str
    status: str
    plugin: Plugin | None = field(default=None, compare=False)

    @property
    def loaded(self) -> bool:
        return self.plugin is not None
