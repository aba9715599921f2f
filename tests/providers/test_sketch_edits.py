"""The local sketch's edits: deterministic, the right size, and only where they should be.

Tolerance for "unchanged" pixels is exact: every byte outside an inpaint mask, and every byte
of the kept area of an outpaint, equals the source's.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pixel_studio.providers.base import PNG_SIGNATURE, EditRequest
from pixel_studio.providers.errors import InvalidRequest
from pixel_studio.providers.local_sketch import LocalSketchProvider
from pixel_studio.providers.sketch import render_sketch

W, H = 256, 192


def png_of(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def decode(png: bytes, mode: str = "RGB") -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as img:
        return np.asarray(img.convert(mode), dtype=np.int16)


@pytest.fixture(scope="module")
def source() -> bytes:
    return render_sketch("golden forest by a lake at sunset", 5, W, H)


def ellipse_mask(size: tuple[int, int] = (W, H)) -> bytes:
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((60, 30, 180, 120), fill=255)
    return png_of(mask)


def edit(op: str, src: bytes, **kw: Any) -> bytes:
    values: dict[str, Any] = {
        "model_id": "local-sketch",
        "operation": op,
        "source_png": src,
        "width": W,
        "height": H,
        "seed": 9,
    }
    steps: list[tuple[int, int]] = []
    result = LocalSketchProvider().edit(
        EditRequest(**(values | kw)), on_step=lambda s, t: steps.append((s, t))
    )
    assert steps == [(1, 1)]
    wanted = values | kw
    assert (result.width, result.height) == (wanted["width"], wanted["height"])
    with Image.open(io.BytesIO(result.png)) as img:
        assert img.size == (result.width, result.height)
    return result.png


def outpaint_canvas(src: bytes, left: int, top: int, size: tuple[int, int]) -> tuple[bytes, bytes]:
    """What the service hands over: the original pasted on a bigger canvas, the border filled
    with edge colours (here: a flat grey, the worst case), and a mask of the border."""
    canvas = Image.new("RGB", size, (128, 128, 128))
    with Image.open(io.BytesIO(src)) as img:
        canvas.paste(img.convert("RGB"), (left, top))
    mask = Image.new("L", size, 255)
    mask.paste(0, (left, top, left + W, top + H))
    return png_of(canvas), png_of(mask)


@pytest.mark.parametrize(
    ("op", "extra"),
    [
        ("variation", {"strength": 0.4}),
        ("image-to-image", {"strength": 0.6, "prompt": "crimson city at night"}),
        ("inpaint", {"prompt": "a full moon"}),
        ("upscale", {"factor": 2, "width": W * 2, "height": H * 2}),
    ],
)
def test_every_operation_is_deterministic(source: bytes, op: str, extra: dict[str, Any]) -> None:
    if op == "inpaint":
        extra = extra | {"mask_png": ellipse_mask()}
    a = edit(op, source, **extra)
    b = edit(op, source, **extra)
    assert a == b
    if op != "upscale":  # the resampler takes no seed
        c = edit(op, source, **(extra | {"seed": 10}))
        assert np.abs(decode(a) - decode(c)).mean() > 0.5


def test_inpaint_changes_only_the_masked_region(source: bytes) -> None:
    mask_png = ellipse_mask()
    out = decode(edit("inpaint", source, prompt="a purple full moon", mask_png=mask_png))
    src = decode(source)
    mask = decode(mask_png, "L")
    outside = mask == 0
    assert np.array_equal(out[outside], src[outside])  # exact: not one byte differs
    inside = mask == 255
    assert np.abs(out[inside] - src[inside]).mean() > 20  # and the painted region is redrawn


def test_inpaint_prompt_steers_the_new_content(source: bytes) -> None:
    mask = decode(ellipse_mask(), "L") == 255
    red = decode(edit("inpaint", source, prompt="crimson", mask_png=ellipse_mask()))[mask]
    teal = decode(edit("inpaint", source, prompt="teal", mask_png=ellipse_mask()))[mask]
    bias = lambda px: (px[:, 0] - (px[:, 1] + px[:, 2]) / 2).mean()  # noqa: E731
    assert bias(red) > bias(teal) + 15


def test_inpaint_keeps_transparency_outside_the_mask() -> None:
    rgba = Image.new("RGBA", (W, H), (20, 80, 200, 255))
    ImageDraw.Draw(rgba).rectangle((0, 0, 40, 40), fill=(0, 0, 0, 0))
    src = png_of(rgba)
    out = decode(edit("inpaint", src, prompt="sun", mask_png=ellipse_mask()), "RGBA")
    keep = decode(ellipse_mask(), "L") == 0
    assert np.array_equal(out[keep], decode(src, "RGBA")[keep])


def test_outpaint_keeps_the_original_and_continues_it(source: bytes) -> None:
    size = (W * 2, int(H * 1.5))
    left, top = W // 2, H // 4
    canvas, mask_png = outpaint_canvas(source, left, top, size)
    out = decode(edit("outpaint", canvas, mask_png=mask_png, width=size[0], height=size[1]))
    src = decode(source)
    assert np.array_equal(out[top : top + H, left : left + W], src)  # exact
    border = decode(mask_png, "L") == 255
    # The border is no longer the flat placeholder...
    assert out[border].std() > 10
    # ...and continues the picture: the column just outside the original looks like the
    # original's edge column (mirrored), much more than like the grey fill.
    edge, outside = src[:, 0], out[top : top + H, left - 1]
    assert np.abs(outside - edge).mean() < np.abs(outside - 128).mean() / 2


def test_outpaint_on_one_side_only(source: bytes) -> None:
    size = (W + 64, H)
    canvas, mask_png = outpaint_canvas(source, 0, 0, size)
    out = decode(edit("outpaint", canvas, mask_png=mask_png, width=size[0], height=size[1]))
    assert np.array_equal(out[:, :W], decode(source))
    assert np.abs(out[:, W:] - 128).mean() > 10


def test_subtle_and_strong_differ_measurably(source: bytes) -> None:
    src = decode(source)
    subtle = decode(edit("variation", source, strength=0.25))
    strong = decode(edit("variation", source, strength=0.75))
    d_subtle = np.abs(subtle - src).mean()
    d_strong = np.abs(strong - src).mean()
    assert d_subtle < 25  # still recognisably the source
    assert d_strong > d_subtle * 1.5 + 3
    assert np.abs(strong - subtle).mean() > 5


def test_variation_keeps_the_composition(source: bytes) -> None:
    """A variation correlates with its source far more than with another picture."""
    src = decode(source).mean(axis=2)
    other = decode(render_sketch("neon city skyline", 1, W, H)).mean(axis=2)
    var = decode(edit("variation", source, strength=0.5)).mean(axis=2)
    corr = lambda a, b: float(np.corrcoef(a.ravel(), b.ravel())[0, 1])  # noqa: E731
    assert corr(var, src) > 0.8
    assert corr(var, src) > corr(var, other) + 0.3


def test_image_to_image_follows_the_prompt(source: bytes) -> None:
    red = decode(edit("image-to-image", source, strength=0.7, prompt="crimson"))
    teal = decode(edit("image-to-image", source, strength=0.7, prompt="teal"))
    bias = lambda px: (px[..., 0] - (px[..., 1] + px[..., 2]) / 2).mean()  # noqa: E731
    assert bias(red) > bias(teal) + 15


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_size_and_quality(factor: int) -> None:
    original = Image.open(io.BytesIO(render_sketch("crimson mountains at sunset", 3, W, H)))
    small = original.convert("RGB").resize((W // factor, H // factor), Image.Resampling.LANCZOS)
    out = edit("upscale", png_of(small), factor=factor, width=W, height=H)
    nearest = small.resize((W, H), Image.Resampling.NEAREST)
    ref = decode(png_of(original))
    assert psnr(decode(out), ref) > psnr(decode(png_of(nearest)), ref) + 0.5


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"operation": "inpaint"}, "needs a mask"),
        ({"operation": "upscale", "factor": 3}, "2x or 4x"),
        ({"operation": "image-to-image", "prompt": "  "}, "needs a prompt"),
        ({"operation": "text"}, "cannot do text"),
        ({"operation": "inpaint", "mask_png": "small"}, "mask is 16x16"),
        ({"operation": "variation", "width": 8192, "height": 4096}, "at most"),
        ({"operation": "variation", "source_png": b"not a png"}, "could not be used"),
    ],
)
def test_bad_requests_are_refused(source: bytes, kw: dict[str, Any], match: str) -> None:
    if kw.get("mask_png") == "small":
        kw = kw | {"mask_png": png_of(Image.new("L", (16, 16), 255))}
    values: dict[str, Any] = {"model_id": "local-sketch", "source_png": source}
    values |= {"width": W, "height": H} | kw
    with pytest.raises(InvalidRequest, match=match):
        LocalSketchProvider().edit(EditRequest(**values))
