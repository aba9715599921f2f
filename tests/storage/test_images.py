"""Image encoding: parameters inside originals, thumbnails, upload checks, keys."""

from __future__ import annotations

import io
import uuid
import zlib

import numpy as np
import pytest
from PIL import Image

from pixel_studio.storage.base import validate_key
from pixel_studio.storage.images import (
    InvalidImage,
    encode_original,
    image_keys,
    make_thumbnail,
    read_parameters,
    read_text_chunks,
    sniff_image,
)

PARAMS: dict[str, str | int | float | None] = {
    "prompt": "a lighthouse at dusk, café lights, 灯台",
    "negative_prompt": None,
    "model": "local/noise-v1",
    "seed": 1234567890,
    "size": "640x320",
    "steps": 30,
    "guidance": 7.5,
}


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    bands = len(mode)
    pixels = np.random.default_rng(1).integers(0, 256, (height, width, bands), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(), mode=mode)


def encoded(img: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    return out.getvalue()


def png(width: int = 64, height: int = 32) -> bytes:
    return encoded(noise(width, height), "PNG")


def chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


# ---------------------------------------------------------------- originals


def test_parameters_round_trip_with_types() -> None:
    original = png()
    out = encode_original(original, PARAMS)
    assert read_parameters(out) == PARAMS
    texts = read_text_chunks(out)
    assert texts["prompt"] == PARAMS["prompt"]
    assert texts["seed"] == "1234567890"
    assert texts["guidance"] == "7.5"
    assert "negative_prompt" not in texts  # None is only in the JSON chunk


def test_chunks_are_valid_png_and_pixels_untouched() -> None:
    original = png()
    out = encode_original(original, PARAMS)
    types = chunk_types(out)
    assert b"iTXt" in types  # the non-Latin-1 prompt
    assert b"tEXt" in types
    # Text comes before the pixel data, so a reader finds it without decoding the image.
    assert types.index(b"tEXt") < types.index(b"IDAT")
    with Image.open(io.BytesIO(out)) as img:
        img.verify()
    with Image.open(io.BytesIO(out)) as img, Image.open(io.BytesIO(original)) as before:
        assert img.info["model"] == "local/noise-v1"  # Pillow reads our chunks too
        assert np.array_equal(np.asarray(img), np.asarray(before))


def test_existing_text_chunks_are_replaced() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("prompt", "provider's own")
    info.add_text("provider", "x", zip=True)
    out = encode_original(encoded(noise(16, 16), "PNG", pnginfo=info), {"prompt": "mine"})
    texts = read_text_chunks(out)
    assert texts["prompt"] == "mine"
    assert "provider" not in texts


def test_non_png_input_becomes_png() -> None:
    out = encode_original(encoded(noise(40, 20), "JPEG"), {"seed": 1})
    assert out.startswith(b"\x89PNG")
    assert read_parameters(out) == {"seed": 1}
    with Image.open(io.BytesIO(out)) as img:
        assert img.size == (40, 20)


def test_encode_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        encode_original(png(), {"parameters": "x"})
    with pytest.raises(ValueError):
        encode_original(png(), {"bad key": "x"})
    with pytest.raises(InvalidImage):
        encode_original(b"not an image at all", {"seed": 1})
    broken = bytearray(png())
    broken[40] ^= 0xFF  # corrupt a chunk: its CRC no longer matches
    with pytest.raises(InvalidImage):
        encode_original(bytes(broken), {"seed": 1})


def test_read_parameters_of_foreign_png_falls_back_to_text() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", "other tool")
    info.add_itxt("Comment", "zipped ünïcode", zip=True)
    data = encoded(noise(8, 8), "PNG", pnginfo=info)
    assert read_parameters(data) == {"Software": "other tool", "Comment": "zipped ünïcode"}
    assert read_parameters(png()) == {}
    with pytest.raises(InvalidImage):
        read_parameters(b"GIF89a...")


def test_huge_compressed_text_is_refused() -> None:
    payload = b"bomb\x00\x00" + zlib.compress(b"a" * 5_000_000)
    chunk = (
        len(payload).to_bytes(4, "big")
        + b"zTXt"
        + payload
        + zlib.crc32(b"zTXt" + payload).to_bytes(4, "big")
    )
    data = png()
    data = data[:33] + chunk + data[33:]  # right after IHDR
    with pytest.raises(InvalidImage):
        read_text_chunks(data)


# ---------------------------------------------------------------- thumbnails


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1024, 512), (512, 256)), ((300, 900), (171, 512)), ((100, 50), (100, 50))],
)
def test_thumbnail_is_webp_within_bounds(size: tuple[int, int], expected: tuple[int, int]) -> None:
    thumb = make_thumbnail(png(*size))
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.format == "WEBP"
        assert img.size == expected
        assert max(img.size) <= 512


def test_thumbnail_keeps_transparency_and_custom_side() -> None:
    thumb = make_thumbnail(encoded(noise(200, 100, "RGBA"), "PNG"), max_side=64)
    with Image.open(io.BytesIO(thumb)) as img:
        assert img.size == (64, 32)
        assert img.mode == "RGBA"


# ---------------------------------------------------------------- uploads


def test_sniff_refuses_text_renamed_png() -> None:
    with pytest.raises(InvalidImage, match="not an image we accept"):
        sniff_image(b"hello, I am avatar.png but really text\n" * 10)


def test_sniff_refuses_empty_and_oversize() -> None:
    with pytest.raises(InvalidImage, match="empty"):
        sniff_image(b"")
    data = png(256, 256)
    with pytest.raises(InvalidImage, match="limit is 0.1 MB") as info:
        sniff_image(data, max_bytes=100_000)
    assert info.value.message.startswith("The file is")


def test_sniff_refuses_too_many_pixels() -> None:
    # A flat 3000×3000 PNG is a few KB: the cap must read the header, not the file size.
    data = encoded(Image.new("L", (3000, 3000)), "PNG")
    assert len(data) < 100_000
    with pytest.raises(InvalidImage, match="3000×3000 pixels"):
        sniff_image(data, max_pixels=4_000_000)


def test_sniff_refuses_formats_not_allowed() -> None:
    gif = encoded(noise(10, 10).convert("P"), "GIF")
    with pytest.raises(InvalidImage, match="JPEG, PNG, WebP"):
        sniff_image(gif)
    assert sniff_image(gif, allowed={"gif"}).format == "gif"
    with pytest.raises(InvalidImage):
        sniff_image(png(), allowed={"jpeg"})


def test_sniff_refuses_truncated_image() -> None:
    data = encoded(noise(200, 200), "JPEG")
    with pytest.raises(InvalidImage, match="damaged"):
        sniff_image(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("fmt", "name", "content_type"),
    [("PNG", "png", "image/png"), ("JPEG", "jpeg", "image/jpeg"), ("WEBP", "webp", "image/webp")],
)
def test_sniff_accepts_and_reencodes(fmt: str, name: str, content_type: str) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    options: dict[str, object] = {"exif": exif.tobytes()}
    data = encoded(noise(120, 80), fmt, **options) + (b"TRAILING-PAYLOAD" if fmt == "JPEG" else b"")
    result = sniff_image(data)
    assert (result.format, result.content_type) == (name, content_type)
    assert (result.width, result.height) == (120, 80)
    assert result.data != data
    assert b"TRAILING-PAYLOAD" not in result.data
    with Image.open(io.BytesIO(result.data)) as img:
        assert img.format == fmt
        assert not img.getexif()  # metadata is gone


def test_sniff_applies_exif_orientation_and_converts() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    data = encoded(noise(120, 80), "JPEG", exif=exif.tobytes())
    result = sniff_image(data, output_format="webp")
    assert (result.format, result.extension) == ("webp", "webp")
    assert (result.width, result.height) == (80, 120)


def test_sniff_rejects_unknown_format_names() -> None:
    with pytest.raises(ValueError):
        sniff_image(png(), allowed={"bmp"})


# ---------------------------------------------------------------- keys


def test_image_keys() -> None:
    image_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    original, thumb = image_keys(3, 42, image_id)
    assert original == f"images/u3/s42/{image_id}.png"
    assert thumb == f"images/u3/s42/{image_id}.webp"
    assert validate_key(original) and validate_key(thumb)
    assert image_keys(3, 42, 99) == ("images/u3/s42/99.png", "images/u3/s42/99.webp")
    with pytest.raises(ValueError):
        image_keys(3, 42, "../../x")
