"""The provider: one POST per image to the model's process.

The wire protocol (what a process must answer to serve this model):

- ``POST {HTTP_MODEL_URL}/generate`` with JSON ``{"prompt", "negative_prompt", "width",
  "height", "seed"}``;
- ``POST {HTTP_MODEL_URL}/edit`` with JSON ``{"operation", "prompt", "negative_prompt",
  "width", "height", "seed", "strength", "source_png"}`` (``source_png``: base64);

each answering ``200`` with the image (PNG, or anything Pillow reads) as the body. A 4xx
answer's body, as text, is shown to the person as the reason; 429 and 5xx are retried.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    EditRequest,
    GeneratedImage,
    ImageRequest,
    StepCallback,
    edit_seed,
    resolve_seed,
    to_png,
)
from pixel_studio.providers.errors import (
    InvalidRequest,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)


class HttpModelProvider:
    """Generate and edit through the model's HTTP process (see the module's protocol)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        request.check_against(get_model(request.model_id))
        seed = resolve_seed(request)
        body = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or "",
            "width": request.width,
            "height": request.height,
            "seed": seed,
        }
        return self._image("generate", body, seed, request.width, request.height)

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        request.check_against(get_model(request.model_id))
        seed = edit_seed(request)
        body = {
            "operation": request.operation,
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or "",
            "width": request.width,
            "height": request.height,
            "seed": seed,
            "strength": request.strength if request.strength is not None else 0.6,
            "source_png": base64.b64encode(request.source_png).decode("ascii"),
        }
        return self._image("edit", body, seed, request.width, request.height)

    def _image(
        self, path: str, body: dict[str, Any], seed: int, width: int, height: int
    ) -> GeneratedImage:
        data = self._post(path, body)
        png, got_w, got_h = to_png(data)
        if (got_w, got_h) != (width, height):
            raise ProviderError(
                f"The HTTP model made a {got_w}x{got_h} image, not {width}x{height}."
            )
        return GeneratedImage(png=png, width=width, height=height, seed=seed)

    def _post(self, path: str, body: dict[str, Any]) -> bytes:
        url = f"{self.base_url}/{path}"
        try:
            response = httpx.post(url, json=body, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(detail=str(exc)) from exc
        except httpx.HTTPError as exc:  # refused, reset, DNS: the process is down or moved
            raise ProviderUnavailable(
                "The HTTP model's process did not answer.", detail=f"{url}: {exc}"
            ) from exc
        if response.status_code == 429:
            raise RateLimited(detail=response.text[:500])
        if response.status_code >= 500:
            raise ProviderUnavailable(detail=f"{url}: {response.status_code}")
        if response.status_code >= 400:
            reason = response.text.strip()[:300] or f"HTTP {response.status_code}"
            raise InvalidRequest(f"The HTTP model refused: {reason}")
        return response.content
