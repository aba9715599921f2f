"""Pixel Studio's own image providers, declared with the plugin API like any other.

Registered by entry points in pixel-studio's own pyproject.toml (group `pixel_studio.providers`),
exactly as a plugin package does; discovery treats that distribution's plugins as built in:
they cannot be disabled (the default model, local sketch, must always be there). Each `create`
imports its client only when called, so neither the worker nor the web app imports openai or
torch for a model it does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pixel_studio.catalog import BUILTIN_MODELS, builtin_availability
from pixel_studio.model_spec import ModelSpec
from pixel_studio.plugins.api import ProviderPlugin

if TYPE_CHECKING:
    from pixel_studio.providers.base import Provider
    from pixel_studio.settings import Settings


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


def _builtin(
    kind: str, create: Callable[[ModelSpec, Settings, float | None], Provider]
) -> ProviderPlugin:
    return ProviderPlugin(
        kind=kind, models=_models(kind), create=create, availability=builtin_availability
    )


local_sketch = _builtin("local-sketch", _local_sketch)
openai = _builtin("openai", _openai)
huggingface = _builtin("huggingface", _huggingface)
local_diffusers = _builtin("local-diffusers", _local_diffusers)
local_upscaler = _builtin("local-upscaler", _local_upscaler)
