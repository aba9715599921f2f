"""Pixel Studio's own providers and stores, declared with the plugin API like any other.

Registered by discovery directly (not through entry points) so that they work from a source
checkout whose installed metadata predates them, and cannot be disabled: the default model
(local sketch) and the local store must always be there. Each `create` / `build` imports its
client only when called, so the worker and the web app never import openai, torch or boto3
for a model or a store they do not use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pixel_studio.catalog import BUILTIN_MODELS, ModelSpec, builtin_availability
from pixel_studio.plugins.api import (
    PROVIDERS_GROUP,
    STORAGE_GROUP,
    Plugin,
    ProviderPlugin,
    StoragePlugin,
)

if TYPE_CHECKING:
    from pixel_studio.providers.base import Provider
    from pixel_studio.settings import Settings
    from pixel_studio.storage.base import Storage


def _models(kind: str) -> tuple[ModelSpec, ...]:
    return tuple(m for m in BUILTIN_MODELS if m.provider == kind)


def _local_sketch(_spec: ModelSpec, _settings: Settings, _timeout: float | None) -> Provider:
    from pixel_studio.providers.local_sketch import LocalSketchProvider

    return LocalSketchProvider()


def _openai(_spec: ModelSpec, settings: Settings, timeout: float | None) -> Provider:
    from pixel_studio.providers.openai_provider import DEFAULT_TIMEOUT, OpenAIProvider

    return OpenAIProvider(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url or None,
        timeout=timeout or DEFAULT_TIMEOUT,
    )


def _huggingface(_spec: ModelSpec, settings: Settings, timeout: float | None) -> Provider:
    from pixel_studio.providers.huggingface import DEFAULT_TIMEOUT, HuggingFaceProvider

    return HuggingFaceProvider(
        token=settings.hf_token, base_url=settings.hf_base_url, timeout=timeout or DEFAULT_TIMEOUT
    )


def _local_diffusers(_spec: ModelSpec, settings: Settings, _timeout: float | None) -> Provider:
    from pixel_studio.providers.local_diffusers import LocalDiffusersProvider

    return LocalDiffusersProvider(settings.local_diffusers_model_dir)


def _local_upscaler(_spec: ModelSpec, _settings: Settings, _timeout: float | None) -> Provider:
    from pixel_studio.providers.local_upscaler import LocalUpscalerProvider

    return LocalUpscalerProvider()


def _s3_key(settings: Settings) -> tuple[str, ...]:
    return (
        "s3",
        settings.s3_bucket,
        settings.s3_endpoint_url,
        settings.s3_region,
        settings.s3_prefix,
    )


def _s3(settings: Settings) -> Storage:
    from pixel_studio.storage.s3 import S3Storage

    return S3Storage(settings)


def _local_key(settings: Settings) -> tuple[str, ...]:
    return ("local", str(settings.media_dir.resolve()), settings.secret_key)


def _local(settings: Settings) -> Storage:
    from pixel_studio.storage.local import LocalStorage

    return LocalStorage(settings)


_CREATE = {
    "local-sketch": _local_sketch,
    "openai": _openai,
    "huggingface": _huggingface,
    "local-diffusers": _local_diffusers,
    "local-upscaler": _local_upscaler,
}

# group -> plugin name -> plugin, in the order the catalog and the store choice follow.
BUILTIN: dict[str, dict[str, Plugin]] = {
    PROVIDERS_GROUP: {
        kind: ProviderPlugin(
            kind=kind, models=_models(kind), create=create, availability=builtin_availability
        )
        for kind, create in _CREATE.items()
    },
    STORAGE_GROUP: {
        "s3": StoragePlugin(
            configured=lambda settings: bool(settings.s3_bucket), build=_s3, cache_key=_s3_key
        ),
        "local": StoragePlugin(
            configured=lambda _settings: True, build=_local, cache_key=_local_key
        ),
    },
}
