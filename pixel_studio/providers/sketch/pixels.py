"""Pixel helpers the sketch edits share: decode, encode, warp, posterise, feather, resample.

Everything here is deterministic (no clock, no global random state), so an edit is a pure
function of its inputs, like the sketch renderer itself.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

F32 = NDArray[np.floating[Any]]
U8 = NDArray[np.uint8]


@dataclass(frozen=True)
class Picture:
    """A decoded source: RGB pixels, and the alpha channel when the source had one."""

    rgb: U8  # (h, w, 3)
    alpha: U8 | None  # (h, w) or None

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def decode(png: bytes) -> Picture:
    with Image.open(io.BytesIO(png)) as img:
        img.load()
        has_alpha = "A" in img.getbands() or (img.mode == "P" and "transparency" in img.info)
        if has_alpha:
            rgba = np.asarray(img.convert("RGBA"), np.uint8)
            return Picture(np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3]))
        return Picture(np.asarray(img.convert("RGB"), np.uint8), None)


def decode_mask(png: bytes, size: tuple[int, int]) -> U8:
    """The "L" mask (255 = change, 0 = keep) as an (h, w) array; wrong size is a ValueError."""
    with Image.open(io.BytesIO(png)) as img:
        img.load()
        if img.size != size:
            mw, mh = img.size
            raise ValueError(f"the mask is {mw}x{mh}, the image {size[0]}x{size[1]}")
        return np.asarray(img.convert("L"), np.uint8)


def encode(rgb: U8, alpha: U8 | None) -> bytes:
    if alpha is not None:
        img = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    else:
        img = Image.fromarray(rgb, "RGB")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)  # as render_sketch: speed over ~10% size
    return buf.getvalue()


def digest_seed(*parts: bytes | str | int | float) -> int:
    """A 128-bit seed from the inputs, so the same source and settings give the same noise."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"|")
    return int.from_bytes(h.digest()[:16], "big")


def to_float(rgb: U8) -> F32:
    return rgb.astype(np.float32) / 255.0


def to_u8(img: F32) -> U8:
    return (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def blur(rgb: U8, radius: float) -> U8:
    if radius <= 0:
        return rgb
    out = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius))
    return np.asarray(out, np.uint8)


def posterise(rgb: U8, colours: int) -> tuple[U8, U8]:
    """Quantise to `colours` colours (median cut: deterministic); returns (pixels, palette)."""
    q = Image.fromarray(rgb).quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    pal = np.asarray(q.getpalette() or [], np.uint8).reshape(-1, 3)
    used = np.unique(np.asarray(q, np.uint8))
    return np.asarray(q.convert("RGB"), np.uint8), pal[used]


def luminance(img: F32) -> F32:
    return (img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114).astype(np.float32)


def recolour(img: F32, palette: U8) -> F32:
    """Map each pixel's brightness onto `palette` sorted dark to light: the picture keeps its
    shapes but wears the source's colours."""
    pal = palette.astype(np.float32) / 255.0
    order = np.argsort(luminance(pal[None, :, :])[0])
    pal = pal[order]
    if len(pal) == 1:
        return np.broadcast_to(pal[0], img.shape).astype(np.float32)
    lum = luminance(img)
    lo, hi = float(lum.min()), float(lum.max())
    pos = (lum - lo) / max(hi - lo, 1e-6) * (len(pal) - 1)
    i = np.minimum(pos.astype(np.int32), len(pal) - 2)
    t = (pos - i)[..., None]
    return (pal[i] + (pal[i + 1] - pal[i]) * t).astype(np.float32)


def noise_field(rng: np.random.Generator, width: int, height: int, cells: int = 4) -> F32:
    """Smooth value noise in -1..1 at (height, width): a few octaves, upscaled bicubically."""
    acc = np.zeros((height, width), np.float32)
    amp, total = 1.0, 0.0
    for octave in range(3):
        n = cells * 2**octave
        grid = rng.uniform(-1.0, 1.0, (n + 1, n + 1)).astype(np.float32)
        layer = Image.fromarray(grid, mode="F").resize((width, height), Image.Resampling.BICUBIC)
        acc += np.asarray(layer, np.float32) * amp
        total += amp
        amp *= 0.5
    return acc / total


def warp(img: F32, dx: F32, dy: F32) -> F32:
    """Sample `img` at (x + dx, y + dy) bilinearly, clamped at the edges."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x = np.clip(xs + dx, 0, w - 1)
    y = np.clip(ys + dy, 0, h - 1)
    x0 = np.minimum(x.astype(np.int32), w - 2 if w > 1 else 0)
    y0 = np.minimum(y.astype(np.int32), h - 2 if h > 1 else 0)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    top = img[y0, x0] * (1 - fx) + img[y0, x1] * fx
    bottom = img[y1, x0] * (1 - fx) + img[y1, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def inner_feather(mask: U8, radius: float) -> F32:
    """Blend weight 0..1 from a mask, softened only *inside* it: wherever mask == 0 the weight
    is exactly 0, so pixels the user kept are never touched. At the mask's edge the weight
    starts near one half and reaches full strength `radius` pixels in; a thin stroke still
    gets a partial redraw rather than none."""
    m = mask.astype(np.float32) / 255.0
    if radius <= 0:
        return m
    soft = np.asarray(Image.fromarray(mask).filter(ImageFilter.GaussianBlur(radius)), np.float32)
    return np.minimum(m, np.clip(soft / 255.0 * 1.25, 0.0, 1.0))


def composite(source: U8, edited: U8, weight: F32) -> U8:
    """Blend `edited` over `source` by weight, copying source bytes exactly where weight == 0."""
    w = weight[..., None]
    mixed = to_u8(to_float(source) * (1.0 - w) + to_float(edited) * w)
    return np.where(w > 0.0, mixed, source)


def resample(rgb: U8, size: tuple[int, int]) -> U8:
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS), np.uint8)


def sharpen_upscale(rgb: U8, factor: int) -> U8:
    """Lanczos to `factor`x, then an unsharp mask scaled to the factor: a resampler, no AI."""
    h, w = rgb.shape[:2]
    big = Image.fromarray(rgb).resize((w * factor, h * factor), Image.Resampling.LANCZOS)
    sharp = big.filter(ImageFilter.UnsharpMask(radius=0.8 * factor, percent=70, threshold=2))
    return np.asarray(sharp, np.uint8)
