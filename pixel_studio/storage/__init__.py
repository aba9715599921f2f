"""File storage behind one interface: the first configured storage plugin (pixel_studio/plugins):
an installed one, else S3 when `S3_BUCKET` is set, else the local media folder."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pixel_studio.settings import Settings, get_settings

if TYPE_CHECKING:
    from pixel_studio.plugins.api import StoragePlugin

from .base import (
    InvalidKey,
    Storage,
    StorageError,
    StorageNotFound,
    StoredObject,
    cache_control_for,
    content_disposition_for,
    content_type_for,
    public_url_for,
    validate_key,
)

__all__ = [
    "InvalidKey",
    "Storage",
    "StorageError",
    "StorageNotFound",
    "StoredObject",
    "cache_control_for",
    "content_disposition_for",
    "content_type_for",
    "get_storage",
    "public_url_for",
    "reset_storage_cache",
    "validate_key",
]

_lock = threading.Lock()
_cache: dict[tuple[str, ...], Storage] = {}


def _choose(settings: Settings) -> tuple[str, StoragePlugin]:
    from pixel_studio.plugins.discovery import storage_plugins

    for name, plugin in storage_plugins():
        if plugin.configured(settings):
            return name, plugin
    raise StorageError("No storage plugin is configured.")  # the built-in local one always is


def get_storage(settings: Settings | None = None) -> Storage:
    """The storage backend for these settings (default: the app's), one per process.

    Cached because a boto3 client is costly to build and safe to share between threads.
    """
    settings = settings or get_settings()
    name, plugin = _choose(settings)
    # Settings objects are not hashable; the key holds the fields a backend is built from.
    key = (name, *plugin.cache_key(settings))
    with _lock:
        storage = _cache.get(key)
        if storage is None:
            storage = plugin.build(settings)
            _cache[key] = storage
        return storage


def reset_storage_cache() -> None:
    """Forget every built backend (tests that change settings within one process)."""
    with _lock:
        _cache.clear()
