"""OpenAI image edits: images.edit (masked or not) and images.create_variation (DALL·E 2).

The API's constraints differ from the studio's: DALL·E 2 takes only square PNGs of 256, 512
or 1024 px under 4 MB (and an RGBA image for edits), GPT Image answers in one of three sizes,
and the mask convention is inverted (alpha 0 = change). So the source is fitted into the size
the API takes (scaled, centred, the margin filled with its mean colour and marked "keep"),
and the answer is cropped back and resized to the size the job asked for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from pixel_studio.catalog import ModelSpec
from pixel_studio.providers.base import EditRequest
from pixel_studio.providers.errors import InvalidRequest

DALLE2_SIDES = (256, 512, 1024)
MAX_UPLOAD = 4 * 1024 * 1024  # DALL·E 2's limit for the image and the mask
# GPT Image's own limit is 50 MB; 25 MB keeps a request well inside any proxy's body cap.
MAX_UPLOAD_GPT = 25 * 1024 * 1024


@dataclass(frozen=True)
class Prepared:
    image: bytes  # PNG sent as `image`
    mask: bytes | None  # PNG sent as `mask` (alpha 0 = change), or None
    api_size: tuple[int, int]  # the `size` parameter, and the answer's size
    box: tuple[int, int, int, int]  # where the source sits inside api_size (l, t, r, b)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def api_size(spec: ModelSpec, width: int, height: int) -> tuple[int, int]:
    """The size the API will be asked for: the model's own size closest in shape to the source
    (DALL·E 2: the smallest square side that holds the source, at most 1024)."""
    if spec.id == "dall-e-2":
        side = next((s for s in DALLE2_SIDES if s >= max(width, height)), DALLE2_SIDES[-1])
        return side, side
    aspect = width / height
    return min(spec.sizes, key=lambda s: abs(np.log((s[0] / s[1]) / aspect)))


def _fit(
    img: Image.Image, size: tuple[int, int], fill: tuple[int, ...], resample: Image.Resampling
) -> tuple[Image.Image, tuple[int, int, int, int]]:
    scale = min(size[0] / img.width, size[1] / img.height)
    w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    left, top = (size[0] - w) // 2, (size[1] - h) // 2
    canvas = Image.new(img.mode, size, fill)
    canvas.paste(img.resize((w, h), resample) if (w, h) != img.size else img, (left, top))
    return canvas, (left, top, left + w, top + h)


def prepare(spec: ModelSpec, request: EditRequest) -> Prepared:
    try:
        with Image.open(io.BytesIO(request.source_png)) as opened:
            source = opened.convert("RGB")
        mask = None
        if request.mask_png is not None:
            with Image.open(io.BytesIO(request.mask_png)) as opened:
                mask = opened.convert("L")
    except (OSError, ValueError) as exc:
        raise InvalidRequest(f"The source image or mask could not be read: {exc}") from exc
    if mask is not None and mask.size != source.size:
        raise InvalidRequest("The mask is not the size of the image.")
    size = api_size(spec, source.width, source.height)
    mean = tuple(int(v) for v in np.asarray(source).reshape(-1, 3).mean(axis=0))
    fitted, box = _fit(source, size, mean, Image.Resampling.LANCZOS)
    # DALL·E 2 refuses an RGB image for edits ("format must be RGBA, LA or L").
    rgba = fitted.convert("RGBA")
    image = _png(rgba if request.operation != "variation" else fitted)
    mask_png = None
    if mask is not None:
        # Margin and unpainted pixels are kept (opaque); painted ones become alpha 0.
        m, _ = _fit(mask, size, (0,), Image.Resampling.NEAREST)
        alpha = np.where(np.asarray(m) > 0, 0, 255).astype(np.uint8)
        mask_img = rgba.copy()
        mask_img.putalpha(Image.fromarray(alpha, "L"))
        mask_png = _png(mask_img)
    # Even pure noise at 1024² stays near 3.2 MB (three incompressible bytes a pixel, and an
    # alpha channel that is constant or nearly so), so this only guards against a surprise.
    limit = MAX_UPLOAD if spec.id == "dall-e-2" else MAX_UPLOAD_GPT
    if max(len(image), len(mask_png or b"")) > limit:
        raise InvalidRequest("The image is too large to send to OpenAI.")
    return Prepared(image=image, mask=mask_png, api_size=size, box=box)


def build_edit_params(spec: ModelSpec, request: EditRequest, prep: Prepared) -> dict[str, Any]:
    """The images.edit / images.create_variation arguments (n=1: one image per call)."""
    params: dict[str, Any] = {
        "model": spec.id,
        "image": ("image.png", prep.image, "image/png"),
        "n": 1,
        "size": f"{prep.api_size[0]}x{prep.api_size[1]}",
    }
    if spec.id != "gpt-image-1":
        params["response_format"] = "b64_json"  # GPT Image always answers in base64
    if request.operation == "variation":
        return params
    if not request.prompt.strip():
        raise InvalidRequest("OpenAI needs a prompt for this edit.")
    params["prompt"] = request.prompt
    if prep.mask is not None:
        params["mask"] = ("mask.png", prep.mask, "image/png")
    if spec.quality:
        params["quality"] = spec.default_quality
    if request.operation == "image-to-image" and spec.id == "gpt-image-1":
        # The API has no strength; input fidelity is its nearest knob: keep close when subtle.
        strength = 0.5 if request.strength is None else request.strength
        params["input_fidelity"] = "high" if strength < 0.5 else "low"
    return params


def restore(answer: Image.Image, prep: Prepared, width: int, height: int) -> Image.Image:
    """Crop the API's answer to where the source sat and resize it to the asked size."""
    if answer.size != prep.api_size:
        answer = answer.resize(prep.api_size, Image.Resampling.LANCZOS)
    cropped = answer.crop(prep.box)
    if cropped.size != (width, height):
        cropped = cropped.resize((width, height), Image.Resampling.LANCZOS)
    return cropped
