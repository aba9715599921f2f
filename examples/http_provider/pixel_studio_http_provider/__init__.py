"""An image model served over HTTP by any process you point Pixel Studio at (HTTP_MODEL_URL).

What this module declares is all Pixel Studio reads: the model (its sizes, parameters,
operations and prices), whether it can run here, and how to make its provider. It imports
nothing heavy: the HTTP client is imported when a job needs the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings, SettingsConfigDict

from pixel_studio.catalog import ModelSpec
from pixel_studio.plugins.api import PLUGIN_API_VERSION, Availability, ProviderPlugin

if TYPE_CHECKING:
    from pixel_studio.providers.base import Provider
    from pixel_studio.settings import Settings

KIND = "http-model"


class HttpModelSettings(BaseSettings):
    """This plugin's own settings, from the environment or .env, like Pixel Studio's."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    http_model_url: str = ""  # HTTP_MODEL_URL, e.g. http://127.0.0.1:7860
    http_model_timeout: float = 60.0  # seconds, when Pixel Studio gives no timeout of its own


MODEL = ModelSpec(
    id="http-model",
    provider=KIND,
    display_name="HTTP model",
    description="A model served over HTTP by a process of this server's operator "
    "(HTTP_MODEL_URL): it draws from a prompt, with a seed and a negative prompt, and reworks "
    "a start image towards a prompt (image-to-image).",
    price=1,
    sizes=((256, 256), (512, 512)),
    default_size=(512, 512),
    negative_prompt=True,
    seed=True,
    operations=(("image-to-image", 2),),
)


def availability(_spec: ModelSpec, _settings: Settings) -> Availability:
    url = HttpModelSettings().http_model_url
    if not url:
        return False, "Needs the address of the process that serves it (set HTTP_MODEL_URL)."
    if not url.startswith(("http://", "https://")):
        return False, f"HTTP_MODEL_URL must start with http:// or https:// (it is {url!r})."
    return True, ""


def create(_spec: ModelSpec, _settings: Settings, timeout: float | None) -> Provider:
    from pixel_studio_http_provider.provider import HttpModelProvider

    own = HttpModelSettings()
    return HttpModelProvider(own.http_model_url, timeout=timeout or own.http_model_timeout)


plugin = ProviderPlugin(
    kind=KIND,
    models=(MODEL,),
    create=create,
    availability=availability,
    api_version=PLUGIN_API_VERSION,
)
