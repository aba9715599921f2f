"""OpenAI images (DALL·E 2, DALL·E 3, GPT Image 1) through the official `openai` client."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import openai
from PIL import Image

from pixel_studio.catalog import ModelSpec, get_model
from pixel_studio.providers import openai_edits
from pixel_studio.providers.base import (
    EditRequest,
    GeneratedImage,
    ImageRequest,
    StepCallback,
    image_to_png,
    to_png,
)
from pixel_studio.providers.errors import (
    AuthRefused,
    InvalidRequest,
    ModerationRefused,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)

DEFAULT_TIMEOUT = 120.0  # GPT Image can take a minute for one HD image
MODERATION_CODES = {"content_policy_violation", "moderation_blocked"}
QUOTA_CODES = {"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"}
# Models that only answer in base64 and reject the `response_format` parameter.
B64_ONLY_MODELS = {"gpt-image-1"}


class OpenAIProvider:
    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        # max_retries=0: the worker owns retries (with backoff and a job-level budget); the
        # client's own retries would multiply them and hide how long a job really waited.
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url or None, timeout=timeout, max_retries=0
        )

    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage:
        spec = get_model(request.model_id)
        if spec.provider != "openai":
            raise InvalidRequest(f"{spec.display_name} is not an OpenAI model.")
        request.check_against(spec)
        try:
            response = self._client.images.generate(**build_params(spec, request))
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from exc
        raw, revised = _first_image(response)
        png, width, height = to_png(raw)
        if on_step is not None:
            on_step(1, 1)
        metadata: dict[str, Any] = {"provider": "openai", "model": spec.id}
        if revised:
            metadata["revised_prompt"] = revised
        return GeneratedImage(png=png, width=width, height=height, seed=None, metadata=metadata)

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage:
        spec = get_model(request.model_id)
        if spec.provider != "openai":
            raise InvalidRequest(f"{spec.display_name} is not an OpenAI model.")
        request.check_against(spec)
        prep = openai_edits.prepare(spec, request)
        params = openai_edits.build_edit_params(spec, request, prep)
        try:
            if request.operation == "variation":
                response = self._client.images.create_variation(**params)
            else:
                response = self._client.images.edit(**params)
        except openai.OpenAIError as exc:
            raise map_openai_error(exc) from exc
        raw, revised = _first_image(response)
        png, _, _ = to_png(raw)  # validates the bytes as an image first
        with Image.open(io.BytesIO(png)) as answer:
            answer.load()
            fitted = openai_edits.restore(answer, prep, request.width, request.height)
        if on_step is not None:
            on_step(1, 1)
        metadata: dict[str, Any] = {
            "provider": "openai",
            "model": spec.id,
            "operation": request.operation,
            "api_size": params["size"],
        }
        if revised:
            metadata["revised_prompt"] = revised
        return GeneratedImage(
            png=image_to_png(fitted),
            width=request.width,
            height=request.height,
            seed=None,
            metadata=metadata,
        )


def _first_image(response: Any) -> tuple[bytes, str | None]:
    """The first image's bytes (and revised prompt) from an ImagesResponse."""
    if not response.data:
        raise ProviderUnavailable("OpenAI answered without an image.")
    item = response.data[0]
    if not item.b64_json:
        # We always ask for base64, so a URL-only answer is a misbehaving endpoint; fetching
        # arbitrary URLs from the worker would be an SSRF risk (DESIGN.md).
        raise ProviderUnavailable("OpenAI answered without image data.")
    try:
        raw = base64.b64decode(item.b64_json, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderUnavailable("OpenAI sent an image that could not be decoded.") from exc
    return raw, item.revised_prompt


def build_params(spec: ModelSpec, request: ImageRequest) -> dict[str, Any]:
    """The images.generate arguments for one image (n=1: the worker loops per image)."""
    params: dict[str, Any] = {
        "model": spec.id,
        "prompt": request.prompt,
        "n": 1,
        "size": f"{request.width}x{request.height}",
    }
    if spec.id not in B64_ONLY_MODELS:
        params["response_format"] = "b64_json"  # URLs expire in an hour: take the bytes
    if spec.quality:
        params["quality"] = request.quality or spec.default_quality
    if spec.style and request.style:
        params["style"] = request.style
    return params


def _server_message(exc: openai.APIError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:300]
    return exc.message[:300]


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def map_openai_error(exc: openai.OpenAIError) -> ProviderError:
    """Translate an `openai` exception into the studio's typed errors."""
    # APITimeoutError is a subclass of APIConnectionError: test it first.
    if isinstance(exc, openai.APITimeoutError):
        return ProviderTimeout("OpenAI took too long to answer.", detail=str(exc))
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailable("Could not reach OpenAI.", detail=str(exc))
    if isinstance(exc, openai.APIStatusError):
        code = (exc.code or "").lower()
        said = _server_message(exc)
        if isinstance(exc, openai.BadRequestError):
            if code in MODERATION_CODES:
                return ModerationRefused(detail=said)
            if code in QUOTA_CODES:
                return QuotaExceeded(
                    "The OpenAI account has reached its billing limit.", detail=said
                )
            return InvalidRequest(f"OpenAI rejected the request: {said}", detail=said)
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return AuthRefused(
                "The OpenAI key was refused. An administrator needs to check OPENAI_API_KEY.",
                detail=said,
            )
        if isinstance(exc, openai.RateLimitError):
            if code in QUOTA_CODES:
                return QuotaExceeded(
                    "The OpenAI account has run out of quota or billing credit.", detail=said
                )
            return RateLimited(
                "OpenAI is rate limiting us. The job will be retried shortly.",
                detail=said,
                retry_after=_retry_after(exc),
            )
        if isinstance(exc, (openai.NotFoundError, openai.UnprocessableEntityError)):
            return InvalidRequest(f"OpenAI rejected the request: {said}", detail=said)
        if exc.status_code >= 500:
            return ProviderUnavailable("OpenAI is having trouble right now.", detail=said)
        return ProviderError(f"OpenAI refused the request ({exc.status_code}).", detail=said)
    if isinstance(exc, openai.APIResponseValidationError):
        return ProviderUnavailable("OpenAI sent a reply we could not read.", detail=str(exc))
    return ProviderError("The OpenAI request failed.", detail=str(exc))
