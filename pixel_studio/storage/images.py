"""Image encoding: originals with their parameters inside, thumbnails, and upload checks."""

from __future__ import annotations

import io
import json
import re
import struct
import warnings
import zlib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from PIL import Image, ImageOps, UnidentifiedImageError

from .base import PRIVATE_PREFIX

ParamValue = str | int | float | None

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PARAMETERS_KEY = "parameters"
_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}
# PNG keywords are 1-79 Latin-1 characters; a narrower set keeps them readable everywhere.
_KEYWORD_RE = re.compile(r"[A-Za-z0-9_.\-]{1,79}")
# A compressed text chunk could inflate to gigabytes; nobody's prompt is this long.
_MAX_TEXT_BYTES = 1024 * 1024
_ID_RE = re.compile(r"[A-Za-z0-9_\-]{1,64}")

# name accepted in `allowed` -> (Pillow format, content type, extension)
_FORMATS: dict[str, tuple[str, str, str]] = {
    "png": ("PNG", "image/png", "png"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "webp": ("WEBP", "image/webp", "webp"),
    "gif": ("GIF", "image/gif", "gif"),
}
# Pillow's JPEG opener reports camera multi-picture JPEGs as "MPO"; they are JPEGs to us.
_FORMAT_ALIASES = {"MPO": "JPEG"}
_DECODABLE = ("PNG", "JPEG", "WEBP")
DEFAULT_ALLOWED: frozenset[str] = frozenset({"png", "jpeg", "webp"})
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 25_000_000


class InvalidImage(ValueError):
    """The bytes are not an acceptable image; `message` is fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- keys


def image_keys(
    user_id: int, set_id: int, image_uuid: UUID | str | int, *, private: bool = False
) -> tuple[str, str]:
    """(original_key, thumbnail_key) for one image.

    The random UUID in the name makes keys of private images unguessable, and a fresh key per
    file is what lets originals and thumbnails be cached as immutable. Private images go under
    `PRIVATE_PREFIX`, which no deployment ever serves without a signature.
    """
    name = str(image_uuid)
    if not _ID_RE.fullmatch(name):
        raise ValueError(f"image id {name!r} is not usable in a storage key")
    base = f"images/u{int(user_id)}/s{int(set_id)}/{name}"
    if private:
        base = PRIVATE_PREFIX + base
    return f"{base}.png", f"{base}.webp"


# ---------------------------------------------------------------- PNG text chunks


def _chunk(ctype: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(ctype + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)


def _iter_chunks(png: bytes) -> Iterator[tuple[bytes, int, int]]:
    """(type, start, end) of each chunk, `start:end` spanning length, type, data and CRC."""
    if not png.startswith(PNG_SIGNATURE):
        raise InvalidImage("This file is not a PNG image.")
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        end = pos + 12 + length
        if end > len(png):
            raise InvalidImage("The PNG file is truncated.")
        ctype = png[pos + 4 : pos + 8]
        yield ctype, pos, end
        if ctype == b"IEND":
            return
        pos = end
    raise InvalidImage("The PNG file is truncated.")


def _text_chunk(key: str, text: str) -> bytes:
    text = text.replace("\x00", "")  # the spec forbids NUL inside text
    try:
        return _chunk(b"tEXt", key.encode("latin-1") + b"\x00" + text.encode("latin-1"))
    except UnicodeEncodeError:
        # iTXt carries UTF-8: keyword, no compression, empty language and translated keyword.
        payload = key.encode("latin-1") + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
        return _chunk(b"iTXt", payload)


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, _MAX_TEXT_BYTES)
    if inflater.unconsumed_tail:
        raise InvalidImage("A PNG text chunk is too large.")
    return out


def _parse_text(ctype: bytes, payload: bytes) -> tuple[str, str]:
    key, _, rest = payload.partition(b"\x00")
    if ctype == b"tEXt":
        return key.decode("latin-1"), rest.decode("latin-1")
    if ctype == b"zTXt":
        return key.decode("latin-1"), _inflate(rest[1:]).decode("latin-1")
    compressed, rest = rest[:1], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _tkey, _, text = rest.partition(b"\x00")
    if compressed == b"\x01":
        text = _inflate(text)
    return key.decode("latin-1"), text.decode("utf-8", "replace")


def read_text_chunks(png_bytes: bytes) -> dict[str, str]:
    """Every tEXt/zTXt/iTXt chunk of a PNG as key -> text, without decoding the pixels."""
    found: dict[str, str] = {}
    for ctype, start, end in _iter_chunks(png_bytes):
        if ctype in _TEXT_CHUNKS:
            try:
                key, text = _parse_text(ctype, png_bytes[start + 8 : end - 4])
            except (zlib.error, IndexError):
                continue  # one damaged chunk should not hide the others
            found[key] = text
    return found


def encode_original(png_bytes: bytes, params: Mapping[str, ParamValue]) -> bytes:
    """The image as PNG with `params` written into text chunks, pixels untouched.

    Each parameter gets a readable chunk of its own (what image viewers show), and one
    `parameters` chunk holds them all as JSON with their types, so the file alone is enough
    to reproduce the image. Text chunks already present (e.g. a provider's) are replaced.
    A non-PNG input (some providers answer JPEG or WebP) is converted to PNG first.
    """
    if PARAMETERS_KEY in params:
        raise ValueError(f"{PARAMETERS_KEY!r} is reserved for the JSON of all parameters")
    for key, value in params.items():
        if not _KEYWORD_RE.fullmatch(key):
            raise ValueError(f"parameter name {key!r} is not a valid PNG keyword")
        if value is not None and not isinstance(value, str | int | float):
            raise TypeError(f"parameter {key!r} must be str, int, float or None")
    if png_bytes.startswith(PNG_SIGNATURE):
        _verify_png(png_bytes)
    else:
        png_bytes = _reencode(_open(png_bytes, _DECODABLE), "PNG")

    chunks = [_text_chunk(k, str(v)) for k, v in params.items() if v is not None]
    as_json = json.dumps(dict(params), ensure_ascii=False, sort_keys=True, allow_nan=False)
    chunks.append(_text_chunk(PARAMETERS_KEY, as_json))

    out = bytearray(PNG_SIGNATURE)
    inserted = False
    for ctype, start, end in _iter_chunks(png_bytes):
        if ctype in _TEXT_CHUNKS:
            continue
        # Before the pixel data, so readers find the parameters without decoding the image.
        if not inserted and ctype in (b"IDAT", b"IEND"):
            out += b"".join(chunks)
            inserted = True
        out += png_bytes[start:end]
    return bytes(out)


def read_parameters(png_bytes: bytes) -> dict[str, Any]:
    """The parameters `encode_original` wrote, with their types; for other PNGs, their text."""
    texts = read_text_chunks(png_bytes)
    raw = texts.get(PARAMETERS_KEY)
    if raw is not None:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    return dict(texts)


# ---------------------------------------------------------------- decoding / encoding


def _open(data: bytes, pillow_formats: Collection[str]) -> Image.Image:
    """Open with only the named decoders: exotic formats never reach their parsers.

    Pillow only warns between MAX_IMAGE_PIXELS and twice that; here the warning is an error
    too, so no caller ever decodes a canvas that size (a few KB of PNG can claim one).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=list(pillow_formats))
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidImage("The image has far too many pixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise InvalidImage("This file is not an image in a format we accept.") from exc


def _verify_png(png_bytes: bytes) -> None:
    try:
        with Image.open(io.BytesIO(png_bytes), formats=["PNG"]) as img:
            img.verify()  # checks structure and CRCs without decoding every pixel
    except Exception as exc:  # Pillow raises many types for damaged files
        raise InvalidImage("The PNG image is damaged.") from exc


def _has_alpha(img: Image.Image) -> bool:
    return "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)


def _for_format(img: Image.Image, pillow_format: str) -> Image.Image:
    """Convert to a pixel mode the target format can store, keeping transparency if it can."""
    alpha = _has_alpha(img)
    if pillow_format == "JPEG":
        if img.mode in ("RGB", "L"):
            return img
        if alpha:
            rgba = img.convert("RGBA")
            background = Image.new("RGB", rgba.size, (255, 255, 255))
            background.paste(rgba, mask=rgba.getchannel("A"))
            return background
        return img.convert("RGB")
    if pillow_format == "WEBP":
        return img if img.mode in ("RGB", "RGBA") else img.convert("RGBA" if alpha else "RGB")
    if img.mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
        return img
    return img.convert("RGBA" if alpha else "RGB")


def _reencode(
    img: Image.Image, pillow_format: str, quality: int = 90, max_side: int | None = None
) -> bytes:
    """Decode fully and write fresh bytes: drops EXIF (GPS!), comments and trailing data.

    With `max_side`, the result is shrunk to fit it (never enlarged); a JPEG is then decoded
    at a reduced scale to begin with, so a big photo never exists in memory at full size.
    """
    try:
        if max_side is not None:
            img.draft("RGB", (max_side, max_side))
        img.load()
        img = ImageOps.exif_transpose(img)  # bake the orientation in before EXIF is dropped
    except Exception as exc:  # truncated or corrupt data surfaces here, in many types
        raise InvalidImage("The image file is damaged or incomplete.") from exc
    img = _for_format(img, pillow_format)
    if max_side is not None:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if icc := img.info.get("icc_profile"):
        options["icc_profile"] = icc  # keeps colours right; carries no personal data
    if pillow_format in ("JPEG", "WEBP"):
        options["quality"] = quality
    if pillow_format == "WEBP":
        options["method"] = 4
    img.save(out, format=pillow_format, **options)
    return out.getvalue()


THUMBNAIL_SIDE = 512


class StoredFiles(Protocol):
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def original_key(self) -> str: ...
    @property
    def thumbnail_key(self) -> str: ...


def display_key(image: StoredFiles) -> str:
    """The file a page shows an image at full size with: its WebP thumbnail when that holds
    every pixel of the original (no side over THUMBNAIL_SIDE; a local sketch's 512 px PNG is
    ~360 KB, its WebP ~14 KB), else the original. Downloads always give the original."""
    if max(image.width, image.height) <= THUMBNAIL_SIDE:
        return image.thumbnail_key
    return image.original_key


def make_thumbnail(image_bytes: bytes, max_side: int = THUMBNAIL_SIDE, quality: int = 80) -> bytes:
    """A WebP no larger than `max_side` on either side, same aspect ratio, never upscaled."""
    img = _open(image_bytes, _DECODABLE)
    try:
        img.draft("RGB", (max_side, max_side))  # JPEG decodes at a reduced scale: much faster
        img = ImageOps.exif_transpose(img)
        img = _for_format(img, "WEBP")
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    except Exception as exc:
        raise InvalidImage("The image file is damaged or incomplete.") from exc
    out = io.BytesIO()
    # method 2: measured ~2x faster than the default 4 at 512² for ~5% larger files; the
    # thumbnail is made on the worker's hot path once per image.
    img.save(out, format="WEBP", quality=quality, method=2)
    return out.getvalue()


# ---------------------------------------------------------------- uploads


@dataclass(frozen=True)
class SniffedImage:
    """An upload that passed the checks, re-encoded: store `data`, not the original bytes."""

    data: bytes
    format: str  # "png", "jpeg", "webp", "gif"
    content_type: str
    extension: str
    width: int
    height: int


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def sniff_image(
    data: bytes,
    allowed: Collection[str] = DEFAULT_ALLOWED,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    *,
    output_format: str | None = None,
    max_side: int | None = None,
) -> SniffedImage:
    """Check an upload by its content (never its name), cap it, and re-encode it.

    Raises `InvalidImage` with a message for the user. `output_format` ("png", "jpeg", "webp"
    or "gif") converts, e.g. every avatar to WebP; by default the detected format is kept.
    `max_side` shrinks the stored image to fit that many pixels on its longer side.
    """
    unknown = set(allowed) - _FORMATS.keys()
    if unknown or (output_format is not None and output_format not in _FORMATS):
        raise ValueError(f"unknown image format(s): {sorted(unknown) or output_format}")
    names = ", ".join(_FORMATS[name][0] for name in sorted(allowed)).replace("WEBP", "WebP")
    if not data:
        raise InvalidImage("The file is empty.")
    if len(data) > max_bytes:
        raise InvalidImage(
            f"The file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}."
        )
    pillow_formats = [_FORMATS[name][0] for name in allowed]
    try:
        img = _open(data, pillow_formats)
    except InvalidImage as exc:
        bomb = (Image.DecompressionBombError, Image.DecompressionBombWarning)
        if isinstance(exc.__cause__, bomb):
            raise InvalidImage("The image has far too many pixels.") from None
        raise InvalidImage(f"This file is not an image we accept ({names}).") from None
    width, height = img.size
    # Checked on the header, before any pixel is decoded: a small file can claim a huge canvas.
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise InvalidImage(
            f"The image is {width}×{height} pixels; the limit is "
            f"{max_pixels / 1_000_000:g} million pixels."
        )
    pillow_format = _FORMAT_ALIASES.get(img.format or "", img.format)
    detected = next(name for name in allowed if _FORMATS[name][0] == pillow_format)
    target = output_format or detected
    target_format, content_type, extension = _FORMATS[target]
    encoded = _reencode(img, target_format, max_side=max_side)
    with Image.open(io.BytesIO(encoded)) as check:
        out_width, out_height = check.size
    return SniffedImage(encoded, target, content_type, extension, out_width, out_height)
