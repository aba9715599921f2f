"""Pixel Studio's own file stores, declared with the plugin API like any other.

Registered by entry points in pixel-studio's own pyproject.toml (group `pixel_studio.storage`);
discovery treats that distribution's plugins as built in and tries them after installed ones:
S3 when `S3_BUCKET` is set, else the local media folder (always configured: the fallback).
Each `build` imports its backend only when called, so the embedded profile never imports boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixel_studio.plugins.api import StoragePlugin

if TYPE_CHECKING:
    from pixel_studio.settings import Settings
    from pixel_studio.storage.base import Storage


def _s3_key(settings: Settings) -> tuple[str, ...]:
    return (
        "s3",
        settings.s3_bucket,
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_prefix,
        settings.media_base_url,  # public URLs point at the CDN
    )


def _s3(settings: Settings) -> Storage:
    from pixel_studio.storage.s3 import S3Storage

    return S3Storage(settings)


def _local_key(settings: Settings) -> tuple[str, ...]:
    return (
        "local",
        str(settings.media_dir.resolve()),
        settings.secret_key,
        settings.media_base_url,
    )


def _local(settings: Settings) -> Storage:
    from pixel_studio.storage.local import LocalStorage

    return LocalStorage(settings)


s3 = StoragePlugin(
    configured=lambda settings: bool(settings.s3_bucket), build=_s3, cache_key=_s3_key
)
local = StoragePlugin(configured=lambda _settings: True, build=_local, cache_key=_local_key)
