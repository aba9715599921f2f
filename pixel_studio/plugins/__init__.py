"""Plugins: image models, file stores and pages added by installed packages.

`api` is what a plugin author uses (the plugin classes and `PLUGIN_API_VERSION`); `discovery`
loads the built-ins (`builtin`) and every entry point at start; `pixel-studio plugins` lists
them. docs/EXTENDING.md is the guide.
"""

from pixel_studio.plugins.api import (
    PAGES_GROUP,
    PLUGIN_API_VERSION,
    PROVIDERS_GROUP,
    STORAGE_GROUP,
    SUPPORTED_API_VERSIONS,
    Availability,
    NavEntry,
    PagePlugin,
    PluginRecord,
    ProviderPlugin,
    StoragePlugin,
)

__all__ = [
    "PAGES_GROUP",
    "PLUGIN_API_VERSION",
    "PROVIDERS_GROUP",
    "STORAGE_GROUP",
    "SUPPORTED_API_VERSIONS",
    "Availability",
    "NavEntry",
    "PagePlugin",
    "PluginRecord",
    "ProviderPlugin",
    "StoragePlugin",
]
