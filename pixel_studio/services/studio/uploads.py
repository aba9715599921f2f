"""Checking a start image someone uploads, and a mask someone painted, before anything else.

Both run before a credit is charged or a byte is stored (services/studio/editing.py stores them only
once every check passed). The order matters for safety: the byte size first, then the header
(Pillow reads width, height, mode and frame count without decoding a pixel), and only then the
pixels. A few KB of PNG can claim a 100,000² canvas; it is refused at the header.

Masks follow the EditRequest convention (providers/base.py): an 8-bit greyscale PNG of the
image's exact size, 255 where the picture must change, 0 where it must stay.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

from pixel_studio.services.errors import InvalidInput

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 16_000_000
# A painted mask arrives through the socket as a data URL (under Reflex's 1 MB message cap) or
# as a multipart part of the REST API; a flat greyscale PNG of 16 MP is far below this.
MAX_MASK_BYTES = 8 * 1024 * 1024
_FORMATS = ("PNG", "JPEG", "WEBP")
_FORMAT_NAMES = "PNG, JPEG or WebP"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DATA_URL = re.compile(r"^data:image/png;base64,(?P<data>[A-Za-z0-9+/=\s]*)$")


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check. `data` is the file as it arrived (stored privately as
    the job's start image: re-encoding a 16 MP photo on the request path costs seconds, and the
    worker decodes it anyway); `width` x `height` is the picture as people see it, EXIF
    orientation applied, which is also how the worker reads it (edit_jobs.load_edit_input)."""

    data: bytes
    width: int
    height: int
    format: str  # "png", "jpeg" or "webp"
    content_type: str
    extension: str


_TYPES = {
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "webp": ("image/webp", "webp"),
}


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _open_header(data: bytes, formats: tuple[str, ...], what: str) -> Image.Image:
    """Open lazily (header only) with just the named decoders; a bomb warning is an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=list(formats))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise InvalidInput(f"The {what} has far too many pixels.", field=what) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        names = _FORMAT_NAMES if what == "image" else "PNG"
        raise InvalidInput(f"This file is not a {names} image.", field=what) from None


def _png_bit_depth(data: bytes) -> int | None:
    """The IHDR bit depth of a PNG: Pillow opens 16-bit RGB as plain 8-bit "RGB", so the mode
    alone cannot tell."""
    if data.startswith(_PNG_SIGNATURE) and len(data) > 24 and data[12:16] == b"IHDR":
        return data[24]
    return None


def _refuse_kind(img: Image.Image, data: bytes) -> None:
    if img.mode == "CMYK":
        raise InvalidInput(
            "CMYK images are not supported: save it as RGB (sRGB) and upload it again.",
            field="image",
        )
    depth = _png_bit_depth(data)
    if img.mode.startswith(("I", "F")) or (depth is not None and depth > 8):
        raise InvalidInput(
            "16-bit images are not supported: save it with 8 bits per channel.", field="image"
        )
    if getattr(img, "is_animated", False) or getattr(img, "n_frames", 1) > 1:
        raise InvalidInput(
            "Animated images are not supported: upload a single still picture.", field="image"
        )
    if img.mode not in ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "YCbCr"):
        raise InvalidInput(
            f"Images in {img.mode} colour mode are not supported: save it as RGB.", field="image"
        )


def check_upload(
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_pixels: int = MAX_UPLOAD_PIXELS,
) -> CheckedUpload:
    """Check an uploaded start image and return it as a clean PNG.

    Accepts PNG, JPEG and WebP (judged by content, never the file name), at most `max_bytes`
    and `max_pixels`. Refuses, each with its own message (InvalidInput, field "image"): an empty
    or oversize file, something that is not one of those images, CMYK, 16-bit, animated,
    truncated or damaged files. The EXIF orientation is applied, so what is edited is what the
    person saw. Stores nothing.
    """
    if not data:
        raise InvalidInput("The file is empty.", field="image")
    if len(data) > max_bytes:
        raise InvalidInput(
            f"The file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}.",
            field="image",
        )
    img = _open_header(data, _FORMATS, "image")
    width, height = img.size
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InvalidInput(
            f"The image is {width}×{height} pixels; the limit is "
            f"{max_pixels / 1_000_000:g} million pixels.",
            field="image",
        )
    _refuse_kind(img, data)
    kind = (img.format or "png").lower().replace("mpo", "jpeg")
    try:
        # A full decode: the only way to know the file is not truncated before charging.
        img.load()
        shown = ImageOps.exif_transpose(img)
    except Exception:  # truncated or corrupt data surfaces here, in many exception types
        raise InvalidInput(
            "The image file is truncated or damaged: upload it again.", field="image"
        ) from None
    content_type, extension = _TYPES[kind]
    return CheckedUpload(data, shown.width, shown.height, kind, content_type, extension)


def open_upright(data: bytes) -> Image.Image:
    """Decode a stored start image (an upload or a studio image) as RGB or RGBA, EXIF
    orientation applied: the picture people saw, in a mode every provider takes."""
    with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as img:
        img.load()
        upright = ImageOps.exif_transpose(img)
    alpha = "A" in upright.getbands() or (upright.mode == "P" and "transparency" in upright.info)
    return upright.convert("RGBA" if alpha else "RGB")


def check_mask(data: bytes, width: int, height: int) -> bytes:
    """Check a painted mask against the image it belongs to; return it as the 0/255 "L" PNG
    providers take (EditRequest.mask_png).

    The painter's convention: light, opaque pixels (white strokes) mark what to change; black
    or transparent pixels what to keep. A pixel counts as painted when its grey level AND its
    alpha are both at least 128. Refuses (InvalidInput, field "mask") a file that is not a PNG,
    a mask of another size than the image, an empty mask and one covering everything.
    """
    if not data:
        raise InvalidInput("Paint the area to change first: the mask is empty.", field="mask")
    if len(data) > MAX_MASK_BYTES:
        raise InvalidInput(
            f"The mask is {_megabytes(len(data))}; the limit is {_megabytes(MAX_MASK_BYTES)}.",
            field="mask",
        )
    img = _open_header(data, ("PNG",), "mask")
    if img.size != (width, height):
        raise InvalidInput(
            f"The mask is {img.width}×{img.height} pixels but the image is {width}×{height}: "
            "paint the mask on the image itself.",
            field="mask",
        )
    if getattr(img, "is_animated", False):
        raise InvalidInput("The mask must be a single still picture.", field="mask")
    try:
        img.load()
    except Exception:
        raise InvalidInput("The mask file is truncated or damaged.", field="mask") from None
    if img.mode not in ("1", "L", "LA", "P", "PA", "RGB", "RGBA"):
        img = img.convert("RGBA")  # 16-bit greyscale and the like: only light vs dark matters
    grey = img.convert("L")
    has_alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
    if has_alpha:
        grey = ImageChops.darker(grey, img.convert("RGBA").getchannel("A"))
    binary = grey.point(lambda v: 255 if v >= 128 else 0)
    low, high = binary.getextrema()
    if high == 0:
        raise InvalidInput("Paint the area to change first: the mask is empty.", field="mask")
    if low == 255:
        raise InvalidInput(
            "The mask covers the whole image: paint only the part to change "
            "(or use image-to-image for the whole picture).",
            field="mask",
        )
    out = io.BytesIO()
    binary.save(out, format="PNG")
    return out.getvalue()


def decode_data_url(value: str, *, field: str = "mask") -> bytes:
    """The bytes of a `data:image/png;base64,…` URL (how the browser painter sends a mask)."""
    match = _DATA_URL.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput("The mask did not arrive as a PNG image.", field=field)
    try:
        return base64.b64decode(match["data"], validate=False)
    except (binascii.Error, ValueError):
        raise InvalidInput("The mask did not arrive as a PNG image.", field=field) from None


def read_capped(
    stream: BinaryIO, max_bytes: int = MAX_UPLOAD_BYTES, *, field: str = "image"
) -> bytes:
    """Read an uploaded file object, but never more than one byte past `max_bytes`: an
    oversize upload is refused without holding all of it in memory."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput(
            f"The file is larger than the {_megabytes(max_bytes)} limit.", field=field
        )
    return data
