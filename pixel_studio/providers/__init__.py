"""Image providers behind one interface; `get_provider` asks the model's provider plugin
(pixel_studio/plugins) for one.

Heavy clients are imported inside the plugins' `create`, so importing this package (the worker, the
API) does not pull in openai, huggingface_hub or torch until a job needs them.
"""

from __future__ import annotations

from typing import Protocol

from pixel_studio.catalog import availability, get_model
from pixel_studio.providers.base import (
    EditingProvider,
    EditRequest,
    GeneratedImage,
    ImageRequest,
    Provider,
    StepCallback,
)
from pixel_studio.providers.errors import (
    AuthRefused,
    InvalidRequest,
    ModerationRefused,
    NotConfigured,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)

__all__ = [
    "AuthRefused",
    "EditRequest",
    "EditingProvider",
    "GeneratedImage",
    "ImageRequest",
    "InvalidRequest",
    "ModerationRefused",
    "NotConfigured",
    "Provider",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "QuotaExceeded",
    "RateLimited",
    "StepCallback",
    "get_provider",
]


class _ProviderSettings(Protocol):
    openai_api_key: str
    openai_base_url: str
    hf_token: str
    hf_base_url: str
    local_diffusers_model_dir: str


def get_provider(
    model_id: str, settings: _ProviderSettings, timeout: float | None = None
) -> Provider:
    # Every built-in provider is also an EditingProvider (`edit`); which operations each
    # model offers is in the catalog. Callers that edit check isinstance(p, EditingProvider).
    """The provider for `model_id`, configured from settings.

    Raises UnknownModelError (catalog) for an unknown id and NotConfigured when the model lacks
    its key, token or folder here. `timeout` overrides the network providers' default.
    """
    spec = get_model(model_id)
    ok, reason = availability(spec, settings)
    if not ok:
        raise NotConfigured(f"{spec.display_name} is not available: {reason}")
    # Every model comes from a provider plugin (the built-ins too: providers/builtin.py).
    from pixel_studio.plugins.discovery import provider_plugins

    plugin = provider_plugins()[spec.provider]
    return plugin.create(spec, settings, timeout)  # type: ignore[arg-type]
