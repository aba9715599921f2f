"""The one interface every image provider implements: one request in, one PNG out.

Providers make one image per call on purpose: the worker loops over the set, stores and
announces each image as it arrives (live progress), and a failure part-way refunds only the
images that were not made.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.model_spec import (
    GUIDANCE_RANGE,
    STEPS_RANGE,
    STYLE_PRESETS,
    STYLES,
    ModelSpec,
    Operation,
)
from pixel_studio.providers.errors import InvalidRequest, ProviderUnavailable

# (step just finished, total steps): lets a slow local model report progress within one image.
StepCallback = Callable[[int, int], None]

MAX_SEED = 2**32 - 1  # torch generators and the HF API both take an unsigned 32-bit seed
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ImageRequest(BaseModel):
    """One image to make. The worker builds it from the job's validated parameters."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    prompt: str = Field(min_length=1, max_length=4000)
    negative_prompt: str | None = None
    width: int = Field(gt=0, le=4096)
    height: int = Field(gt=0, le=4096)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    guidance: float | None = Field(default=None, ge=GUIDANCE_RANGE[0], le=GUIDANCE_RANGE[1])
    steps: int | None = Field(default=None, ge=STEPS_RANGE[0], le=STEPS_RANGE[1])
    quality: str | None = None
    style: str | None = None
    style_preset: str | None = None
    index: int = Field(default=0, ge=0)  # position within the set, 0-based

    def check_against(self, spec: ModelSpec) -> None:
        """Reject what the model cannot do before spending a network call on it."""
        if spec.id != self.model_id:
            raise InvalidRequest(f"This request is for {self.model_id}, not {spec.id}.")
        if not spec.supports("text"):
            raise InvalidRequest(f"{spec.display_name} cannot draw from text alone.")
        if not spec.allows_size(self.width, self.height):
            allowed = ", ".join(spec.size_labels)
            raise InvalidRequest(
                f"{spec.display_name} cannot make {self.width}x{self.height} images "
                f"(allowed: {allowed})."
            )
        if self.quality is not None and self.quality not in spec.quality_options:
            raise InvalidRequest(f"{spec.display_name} has no quality {self.quality!r}.")
        if self.style is not None and (not spec.style or self.style not in STYLES):
            raise InvalidRequest(f"{spec.display_name} has no style {self.style!r}.")
        if self.style_preset is not None and self.style_preset not in STYLE_PRESETS:
            raise InvalidRequest(f"Unknown style preset {self.style_preset!r}.")


class GeneratedImage(BaseModel):
    """One finished image: PNG bytes plus what is worth recording beside it."""

    model_config = ConfigDict(frozen=True)

    png: bytes
    width: int
    height: int
    seed: int | None = None  # None where the provider takes no seed (OpenAI)
    metadata: dict[str, Any] = Field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    def generate(
        self, request: ImageRequest, on_step: StepCallback | None = None
    ) -> GeneratedImage: ...


class EditRequest(BaseModel):
    """One image to make from a source image. The worker builds it from the job's parameters.

    Conventions every provider follows (the service has checked them before charging):
    - `source_png` is a PNG, RGB or RGBA, EXIF orientation already applied. For "outpaint" it
      is the *enlarged* canvas: the original pasted where it stays, the new border filled with
      the original's edge colours, and `mask_png` marks that border.
    - `mask_png` (inpaint, outpaint) is an 8-bit greyscale ("L") PNG of exactly the source's
      size: 255 where the picture must change, 0 where it must stay. Neither empty nor full.
      Providers whose API wants another convention convert (OpenAI: alpha 0 = change).
    - `strength` (variation, image-to-image) is 0..1: how far from the source to go.
    - `factor` (upscale) is 2 or 4; the result is source size x factor.
    - `width` x `height` is the size of the result.
    """

    model_config = ConfigDict(frozen=True)

    model_id: str
    operation: Operation
    source_png: bytes
    mask_png: bytes | None = None
    prompt: str = Field(default="", max_length=4000)  # empty only for variation and upscale
    negative_prompt: str | None = None
    width: int = Field(gt=0, le=8192)
    height: int = Field(gt=0, le=8192)
    strength: float | None = Field(default=None, ge=0.0, le=1.0)
    factor: int | None = Field(default=None, ge=2, le=4)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    guidance: float | None = Field(default=None, ge=GUIDANCE_RANGE[0], le=GUIDANCE_RANGE[1])
    steps: int | None = Field(default=None, ge=STEPS_RANGE[0], le=STEPS_RANGE[1])
    style_preset: str | None = None
    index: int = Field(default=0, ge=0)  # position within the set, 0-based

    def check_against(self, spec: ModelSpec) -> None:
        """What every provider checks before working: the model can do the operation, the
        inputs it needs are there, and the result is not too big for it."""
        if spec.id != self.model_id:
            raise InvalidRequest(f"This request is for {self.model_id}, not {spec.id}.")
        if self.operation == "text" or not spec.supports(self.operation):
            raise InvalidRequest(f"{spec.display_name} cannot do {self.operation}.")
        if self.operation in ("inpaint", "outpaint") and self.mask_png is None:
            raise InvalidRequest(f"A {self.operation} needs a mask.")
        if self.operation == "upscale" and self.factor not in (2, 4):
            raise InvalidRequest("An upscale is 2x or 4x.")
        if self.operation == "image-to-image" and not self.prompt.strip():
            raise InvalidRequest("Image-to-image needs a prompt.")
        if self.width * self.height > spec.max_edit_pixels:
            raise InvalidRequest(
                f"{spec.display_name} makes edits of at most {spec.max_edit_pixels:,} pixels; "
                f"{self.width}x{self.height} is more."
            )
        if self.style_preset is not None and self.style_preset not in STYLE_PRESETS:
            raise InvalidRequest(f"Unknown style preset {self.style_preset!r}.")


def edit_seed(request: EditRequest) -> int:
    """The edit's seed, or a fresh random one, so every stored image can be remade."""
    return request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)


@runtime_checkable
class EditingProvider(Protocol):
    """A provider that can also start from an image. Which operations a model offers is in
    the catalog (ModelSpec.operations); `edit` raises InvalidRequest for any other."""

    def edit(self, request: EditRequest, on_step: StepCallback | None = None) -> GeneratedImage: ...


def resolve_seed(request: ImageRequest) -> int:
    """The request's seed, or a fresh random one, so every stored image can be remade."""
    return request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)


def to_png(data: bytes) -> tuple[bytes, int, int]:
    """Return (png bytes, width, height), re-encoding anything Pillow reads that is not PNG."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            width, height = img.size
            if data.startswith(PNG_SIGNATURE):
                return data, width, height
            return image_to_png(img), width, height
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        # A service that answers 200 with something that is not a picture is misbehaving,
        # which is usually temporary (a proxy error page, a truncated body).
        raise ProviderUnavailable(
            "The image service returned something that is not an image.", detail=str(exc)
        ) from exc


def image_to_png(img: Image.Image) -> bytes:
    if img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
