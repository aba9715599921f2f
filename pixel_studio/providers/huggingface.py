"""Hugging Face text-to-image (SDXL, FLUX) and image-to-image (the SDXL refiner) through
`huggingface_hub.InferenceClient`."""

from __future__ import annotations

from typing import Any

import httpx2
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, OfflineModeIsEnabled
from PIL import Image

from pixel_studio.catalog import get_model
from pixel_studio.providers.base import (
    EditRequest,
    GeneratedImage,
    ImageRequest,
    StepCallback,
    edit_seed,
    image_to_png,
    resolve_seed,
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

DEFAULT_TIMEOUT = 120.0
MODERATION_HINTS = ("nsfw", "safety checker", "content policy", "unsafe content")


class HuggingFaceProvider:
    def __init__(self, token: str, base_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout

    def _client(self, repo: str) -> InferenceClient:
        # The full URL goes in `model`: given a bare repo id the client ignores base_url and
        # asks the Hub which inference provider serves the model (TEST_PEERS.md).
        return InferenceClient(
            model=f"{self._base_url}/models/{repo}", token=self._token, timeout=self._timeout
        )

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        spec = get_model(request.model_id)
        if spec.provider != "huggingface":
            raise InvalidRequest(f"{spec.display_name} is not a Hugging Face model.")
        request.check_against(spec)
        # Always send a seed where the model takes one, so the stored image can be remade.
        seed = resolve_seed(request) if spec.seed else None
        params: dict[str, Any] = {"width": request.width, "height": request.height}
        if spec.negative_prompt and request.negative_prompt:
            params["negative_prompt"] = request.negative_prompt
        if spec.steps:
            params["num_inference_steps"] = request.steps or spec.default_steps
        if spec.guidance:
            params["guidance_scale"] = (
                request.guidance if request.guidance is not None else spec.default_guidance
            )
        if seed is not None:
            params["seed"] = seed
        try:
            image = self._client(spec.id).text_to_image(request.prompt, **params)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed error
            raise map_hf_error(exc) from exc
        png = image_to_png(image)
        if on_step is not None:
            on_step(1, 1)
        width, height = image.size
        metadata: dict[str, Any] = {"provider": "huggingface", "model": spec.id}
        metadata.update({k: v for k, v in params.items() if k not in ("width", "height")})
        return GeneratedImage(png=png, width=width, height=height, seed=seed, metadata=metadata)

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        """Image-to-image, for the models the catalog says Hugging Face serves it for."""
        spec = get_model(request.model_id)
        if spec.provider != "huggingface":
            raise InvalidRequest(f"{spec.display_name} is not a Hugging Face model.")
        request.check_against(spec)  # only "image-to-image" is in any HF model's operations
        seed = edit_seed(request) if spec.seed else None
        params: dict[str, Any] = {
            "target_size": {"width": request.width, "height": request.height},
            "strength": 0.5 if request.strength is None else request.strength,
        }
        if spec.negative_prompt and request.negative_prompt:
            params["negative_prompt"] = request.negative_prompt
        if spec.steps:
            params["num_inference_steps"] = request.steps or spec.default_steps
        if spec.guidance:
            params["guidance_scale"] = (
                request.guidance if request.guidance is not None else spec.default_guidance
            )
        if seed is not None:
            params["seed"] = seed
        try:
            image = self._client(spec.id).image_to_image(
                request.source_png, prompt=request.prompt, **params
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed error
            raise map_hf_error(exc) from exc
        if image.size != (request.width, request.height):
            # target_size is a hint some servers ignore; the job asked for this size.
            image = image.resize((request.width, request.height), Image.Resampling.LANCZOS)
        if on_step is not None:
            on_step(1, 1)
        metadata: dict[str, Any] = {
            "provider": "huggingface",
            "model": spec.id,
            "operation": request.operation,
        }
        metadata.update({k: v for k, v in params.items() if k != "target_size"})
        return GeneratedImage(
            png=image_to_png(image),
            width=request.width,
            height=request.height,
            seed=seed,
            metadata=metadata,
        )


def _retry_after(exc: HfHubHTTPError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _said(exc: HfHubHTTPError) -> str:
    try:
        text = exc.server_message or exc.response.text
    except httpx2.ResponseNotRead:  # a streamed body that was never read
        text = exc.server_message or ""
    return (text or str(exc))[:300]


def map_hf_error(exc: BaseException) -> ProviderError:
    """Translate a huggingface_hub / httpx2 failure into the studio's typed errors."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, (InferenceTimeoutError, httpx2.TimeoutException)):
        return ProviderTimeout("Hugging Face took too long to answer.", detail=str(exc))
    if isinstance(exc, OfflineModeIsEnabled):
        return NotConfigured(
            "Hugging Face is switched off on this server (HF_HUB_OFFLINE).", detail=str(exc)
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code
        said = _said(exc)
        if status in (400, 413, 422):
            if any(hint in said.lower() for hint in MODERATION_HINTS):
                return ModerationRefused(detail=said)
            return InvalidRequest(f"Hugging Face rejected the request: {said}", detail=said)
        if status in (401, 403):
            return AuthRefused(
                "The Hugging Face token was refused. An administrator needs to check HF_TOKEN.",
                detail=said,
            )
        if status == 402:
            return QuotaExceeded(
                "The Hugging Face account has used up its inference credits.", detail=said
            )
        if status == 404:
            return InvalidRequest("Hugging Face does not serve this model.", detail=said)
        if status == 429:
            return RateLimited(
                "Hugging Face is rate limiting us. The job will be retried shortly.",
                detail=said,
                retry_after=_retry_after(exc),
            )
        if status == 504:
            return ProviderTimeout("Hugging Face timed out making the image.", detail=said)
        if status >= 500:
            # 503 is also what a cold model answers while it loads: worth retrying.
            return ProviderUnavailable(
                "Hugging Face is busy or loading the model. The job will be retried.",
                detail=said,
                retry_after=_retry_after(exc),
            )
        return ProviderError(f"Hugging Face refused the request ({status}).", detail=said)
    if isinstance(exc, httpx2.TransportError):
        return ProviderUnavailable("Could not reach Hugging Face.", detail=str(exc))
    if isinstance(exc, (OSError, ValueError)):
        # e.g. the reply was not an image Pillow can open.
        return ProviderUnavailable("Hugging Face sent a reply we could not read.", detail=str(exc))
    return ProviderError("The Hugging Face request failed.", detail=repr(exc))
