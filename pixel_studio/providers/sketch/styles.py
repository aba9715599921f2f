"""Style presets: post-processing passes that change how the same scene is rendered.

Heavy lifting (blurs, edge detection, resampling) goes through Pillow's C filters; NumPy does
the per-pixel arithmetic. Each pass keeps the picture's size exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from pixel_studio.providers.sketch.canvas import F32, Canvas, smoothstep
from pixel_studio.providers.sketch.palette import Palette


def _pil(img: F32) -> Image.Image:
    return Image.fromarray((np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8))


def _np(im: Image.Image) -> F32:
    return np.asarray(im, np.float32) / 255.0


def _luma(img: F32) -> F32:
    return (img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114).astype(np.float32)


def _blur(img: F32, radius: float) -> F32:
    return _np(_pil(img).filter(ImageFilter.GaussianBlur(radius)))


def _edges(img: F32, c: Canvas, threshold: float = 0.0) -> F32:
    lum = Image.fromarray((np.clip(_luma(img), 0, 1) * 255).astype(np.uint8))
    e = np.asarray(lum.filter(ImageFilter.FIND_EDGES), np.float32) / 255.0
    e[[0, -1], :] = 0.0  # FIND_EDGES sees the frame itself as an edge
    e[:, [0, -1]] = 0.0
    if threshold:
        # Only outline real shape boundaries, not the soft steps of a gradient sky.
        return smoothstep(threshold, threshold * 2.0, e)
    return np.clip(e * 4.0, 0.0, 1.0)


def _saturate(img: F32, k: float) -> F32:
    lum = _luma(img)[..., None]
    return lum + (img - lum) * k


def _vignette(img: F32, c: Canvas, strength: float) -> F32:
    d = c.dist(0.5, 0.5) / (0.5 * max(c.w, c.h) / c.short * 1.42)
    return img * (1.0 - strength * np.clip(d, 0.0, 1.0) ** 2)[..., None]


def _grain(img: F32, rng: np.random.Generator, amount: float) -> F32:
    noise = rng.standard_normal(img.shape[:2], dtype=np.float32) * amount
    return img + noise[..., None]


def _bloom(img: F32, c: Canvas, strength: float) -> F32:
    bright = np.clip(img - 0.6, 0.0, 1.0) * 2.5
    return img + _blur(bright, c.short / 40.0) * strength


def _posterize(img: F32, levels: int) -> F32:
    # Quantise brightness, keep hue: cel shading without muddy colours.
    lum = _luma(img)[..., None]
    q = (np.floor(lum * levels) + 0.5) / levels
    return img * (q / np.maximum(lum, 1e-3))


def none(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    return _grain(img, rng, 0.012)


def photographic(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    soft = _blur(img, c.short / 600.0)
    curve = soft * soft * (3.0 - 2.0 * soft)  # gentle S-curve for contrast
    out = soft * 0.5 + curve * 0.5
    return _grain(_vignette(out, c, 0.35), rng, 0.018)


def cinematic(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    lum = _luma(img)[..., None]
    teal = np.asarray((0.0, 0.35, 0.45), np.float32)
    orange = np.asarray((1.0, 0.6, 0.3), np.float32)
    graded = img * 0.75 + (teal * (1.0 - lum) + orange * lum) * 0.25 * (0.4 + lum)
    out = _grain(_vignette(graded, c, 0.5), rng, 0.02)
    bar = round(c.h * 0.08)  # letterbox bars: the cue people read as "film still"
    if bar:
        out[:bar] = 0.0
        out[-bar:] = 0.0
    return out


def digital_art(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    return _bloom(_saturate(img, 1.35), c, 0.6)


def anime(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    base = _saturate(_blur(img, c.short / 400.0), 1.3)
    # Cel shading on the shapes, but keep part of the gradient so skies stay smooth.
    flat = _posterize(base, 6) * 0.6 + base * 0.4
    lines = _edges(img, c, threshold=0.06)
    return flat * (1.0 - 0.7 * lines[..., None])


def comic_book(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    flat = _posterize(_saturate(img, 1.5), 5)
    # Halftone: dots whose radius grows with darkness, on a 45° grid.
    cell = max(4.0, c.short / 90.0)
    u = (c.X * c.w + c.Y * c.h) / cell
    v = (c.X * c.w - c.Y * c.h) / cell
    du, dv = (u % 1.0) - 0.5, (v % 1.0) - 0.5
    r = np.sqrt(du * du + dv * dv)
    dark = 1.0 - _luma(flat)
    dots = smoothstep(0.05, 0.0, r - dark * 0.6)
    out = flat * (1.0 - 0.4 * dots[..., None])
    lines = _edges(img, c, threshold=0.05)
    lines = _np(_pil(np.repeat(lines[..., None], 3, axis=2)).filter(ImageFilter.MaxFilter(3)))
    return out * (1.0 - lines)


def fantasy_art(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    out = _bloom(_saturate(img, 1.25), c, 0.8)
    # Sparkles: small glowing motes drifting across the picture.
    motes = np.zeros_like(out)
    n = 120
    rows = (rng.random(n) * c.h).astype(int)
    cols = (rng.random(n) * c.w).astype(int)
    motes[rows, cols] = np.asarray(pal.accent, np.float32) * 6.0
    out = out + _blur(motes, max(1.0, c.short / 300.0))
    texture = c.fbm(rng, cells=24, octaves=2)
    return out * (0.93 + 0.14 * texture)[..., None]


def neon_punk(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    lines = _edges(_blur(img, 1.0), c)
    hue = np.clip(c.X + c.Y * 0.5, 0.0, 1.5) / 1.5
    magenta = np.asarray((1.0, 0.1, 0.8), np.float32)
    cyan = np.asarray((0.1, 0.95, 1.0), np.float32)
    neon = (magenta + (cyan - magenta) * hue[..., None]) * lines[..., None]
    dark = img * 0.4 * np.asarray((0.75, 0.55, 1.0), np.float32)
    return dark + neon + _blur(neon, c.short / 80.0) * 1.8


def origami(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    # Low-poly facets: split a grid into triangles, fill each with the colour at its centre
    # and a per-facet shade, as if the scene were folded from paper.
    cells = 24
    cw = c.w / (cells * c.w / c.short)
    gx = c.X * c.w / cw
    gy = c.Y * c.h / cw
    ix, iy = np.floor(gx).astype(np.int32), np.floor(gy).astype(np.int32)
    upper = ((gx % 1.0) + (gy % 1.0) < 1.0).astype(np.int32)
    cx = ((ix + np.where(upper, 0.33, 0.67)) * cw).astype(np.int32).clip(0, c.w - 1)
    cy = ((iy + np.where(upper, 0.33, 0.67)) * cw).astype(np.int32).clip(0, c.h - 1)
    facets = img[cy, cx]
    shades = rng.uniform(0.86, 1.1, (iy.max() + 2, ix.max() + 2, 2)).astype(np.float32)
    shade = shades[iy, ix, upper]
    return facets * shade[..., None]


def model_3d(img: F32, c: Canvas, pal: Palette, rng: np.random.Generator) -> F32:
    # Treat brightness as height and light it: flat shapes become clay-like relief.
    height = _luma(_blur(img, c.short / 150.0))
    gy, gx = np.gradient(height)
    k = c.short / 6.0
    nx, ny = -gx * k, -gy * k
    lambert = np.clip((nx * -0.5 + ny * -0.6 + 0.65) / np.sqrt(nx * nx + ny * ny + 1.0), 0, 1)
    smooth = _blur(img, c.short / 500.0)
    return smooth * (0.6 + 0.55 * lambert[..., None])


def pixelate(img: F32, c: Canvas) -> F32:
    """Pixel-art look, chosen by words such as 'pixel' or '8-bit' rather than by a preset."""
    block = max(4, c.short // 64)
    small = _pil(img).resize((max(1, c.w // block), max(1, c.h // block)), Image.Resampling.BOX)
    small = small.quantize(24, method=Image.Quantize.MEDIANCUT).convert("RGB")
    return _np(small.resize((c.w, c.h), Image.Resampling.NEAREST))


Style = Callable[[F32, Canvas, Palette, np.random.Generator], F32]

STYLES: dict[str, Style] = {
    "none": none,
    "photographic": photographic,
    "cinematic": cinematic,
    "digital-art": digital_art,
    "anime": anime,
    "comic-book": comic_book,
    "fantasy-art": fantasy_art,
    "neon-punk": neon_punk,
    "origami": origami,
    "3d-model": model_3d,
}
