"""File storage behind one interface: S3 when `S3_BUCKET` is set, else the local media folder."""

from __future__ import annotations

import threading

from pixel_studio.settings import Settings, get_settings

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


def _cache_key(settings: Settings) -> tuple[str, ...]:
    # Settings objects are not hashable; these are the fields a backend is built from.
    if settings.s3_bucket:
        return (
            "s3",
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_prefix,
            settings.media_base_url,
        )
    return (
        "local",
        str(settings.media_dir.resolve()),
        settings.secret_key,
        settings.media_base_url,
    )


def get_storage(settings: Settings | None = None) -> Storage:
    """The storage backend for these settings (default: the app's), one per process.

    Cached because a boto3 client is costly to build and safe to share between threads.
    """
    settings = settings or get_settings()
    key = _cache_key(settings)
    with _lock:
        storage = _cache.get(key)
        if storage is None:
            storage = _build(settings)
            _cache[key] = storage
        return storage


def _build(settings: Settings) -> Storage:
    # Imported here so the embedded profile never imports boto3.
    if settings.s3_bucket:
        from .s3 import S3Storage

        return S3Storage(settings)
    from .local import LocalStorage

    return LocalStorage(settings)


def reset_storage_cache() -> None:
    """Forget every built backend (tests that change settings within one process)."""
    with _lock:
        _cache.clear()
