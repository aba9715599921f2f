"""The local sketch's edits: procedural, deterministic, and honest about being so.

Each function is pure: (source, mask, prompt, seed, strength, preset) in, pixels out.
- vary / image-to-image: a domain-warped, posterised copy of the source (its composition and
  palette) with a fresh prompt-steered render blended in; strength sets how far it goes.
- inpaint: a render of the prompt sized to the painted region, harmonised with the region's
  colours and blended in by the mask; every pixel where mask == 0 is copied byte for byte.
- outpaint: the picture continues into the border as mirrored content from the nearest edge,
  softened and textured with distance, with a little of the prompt's render; the original area
  is copied byte for byte.
- upscale: Lanczos plus an unsharp mask (a resampler, not super-resolution).
"""

from __future__ import annotations

import numpy as np

from pixel_studio.providers.sketch import render_pixels
from pixel_studio.providers.sketch.pixels import (
    F32,
    U8,
    Picture,
    blur,
    composite,
    digest_seed,
    inner_feather,
    noise_field,
    posterise,
    recolour,
    resample,
    sharpen_upscale,
    to_float,
    to_u8,
    warp,
)

# Renders are drawn at most this big and resampled: the fresh content is blended and blurred
# anyway, and drawing a 4096² scene would cost seconds for no visible gain.
_RENDER_MAX = 1024


def _render(prompt: str, seed: int, width: int, height: int, preset: str) -> F32:
    scale = min(1.0, _RENDER_MAX / max(width, height))
    rw, rh = max(16, round(width * scale)), max(16, round(height * scale))
    drawn = render_pixels(prompt, seed, rw, rh, preset)
    if (rw, rh) != (width, height):
        drawn = resample(drawn, (width, height))
    return to_float(drawn)


def _source_key(source: Picture) -> bytes:
    return digest_seed(source.rgb.tobytes(), str(source.rgb.shape)).to_bytes(16, "big")


def restyle(
    source: Picture,
    prompt: str,
    seed: int,
    strength: float,
    preset: str,
    keep_palette: bool,
) -> U8:
    """Vary (keep_palette=True: the fresh render wears the source's colours) or image-to-image
    (the prompt's own colours come through). strength 0 keeps the source, 1 goes far."""
    rgb = source.rgb
    h, w = rgb.shape[:2]
    short = min(w, h)
    rng = np.random.default_rng(digest_seed(_source_key(source), prompt, seed, strength, "vary"))
    # 1. Composition: the source itself, its shapes pushed around by smooth noise.
    amp = strength * 0.035 * short
    dx = noise_field(rng, w, h) * amp
    dy = noise_field(rng, w, h) * amp
    warped = warp(to_float(rgb), dx, dy)
    # 2. Palette: a posterised, blurred copy; stronger edits keep fewer colours and less detail.
    colours = max(4, round(32 - 26 * strength))
    poster, palette = posterise(blur(to_u8(warped), 0.5 + 3.0 * strength), colours)
    base = warped + (to_float(poster) - warped) * min(1.0, 1.5 * strength)
    # 3. New content steered by the prompt, blended in by strength.
    fresh = _render(prompt or "abstract", seed, w, h, preset)
    if keep_palette:
        fresh = recolour(fresh, palette)
    # Image-to-image lets the prompt's colours and shapes through more than a variation does.
    mix = (0.65 if keep_palette else 0.85) * strength
    return to_u8(base + (fresh - base) * mix)


def inpaint(source: Picture, mask: U8, prompt: str, seed: int, preset: str) -> U8:
    """Redraw only where mask > 0; source bytes are kept exactly where mask == 0."""
    rgb = source.rgb
    h, w = rgb.shape[:2]
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return rgb.copy()
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    left, right = int(cols[0]), int(cols[-1]) + 1
    # The prompt's scene is drawn to fit the painted region, so "a moon" lands in it.
    region = _render(prompt or "abstract", seed, right - left, bottom - top, preset)
    around = to_float(blur(rgb, max(2.0, min(w, h) / 64)))[top:bottom, left:right]
    # Harmonise: pull the new content a little towards the light and colour around it.
    region = region * 0.8 + around * 0.2
    edited = rgb.copy()
    edited[top:bottom, left:right] = to_u8(region)
    feather = max(1.0, min(bottom - top, right - left) / 24)
    return composite(rgb, edited, inner_feather(mask, feather))


def _kept_box(mask: U8) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the area an outpaint keeps (mask == 0)."""
    keep = mask == 0
    rows = np.flatnonzero(keep.any(axis=1))
    cols = np.flatnonzero(keep.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _reflect(coord: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Mirror coordinates into [lo, hi) (repeatedly, for a border wider than the picture)."""
    span = hi - lo
    if span <= 1:
        return np.full_like(coord, lo)
    period = 2 * span
    t = np.mod(coord - lo, period)
    return lo + np.where(t < span, t, period - 1 - t)


def outpaint(source: Picture, mask: U8, prompt: str, seed: int, preset: str) -> U8:
    """Continue the kept picture into the border (mask > 0); the kept area is copied exactly."""
    rgb = source.rgb
    h, w = rgb.shape[:2]
    if not (mask == 0).any():
        return rgb.copy()
    top, bottom, left, right = _kept_box(mask)
    ys = _reflect(np.arange(h), top, bottom)
    xs = _reflect(np.arange(w), left, right)
    mirrored = to_float(rgb[ys][:, xs])
    # Distance into the border, 0 at the original's edge, 1 far out.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.maximum(
        np.maximum(top - yy, yy - (bottom - 1)), np.maximum(left - xx, xx - (right - 1))
    )
    far = np.clip(dist / max(1.0, 0.5 * min(bottom - top, right - left)), 0.0, 1.0)[..., None]
    # A mirror image repeats too exactly: soften it with distance, and warp it with noise.
    rng = np.random.default_rng(digest_seed(_source_key(source), prompt, seed, "outpaint"))
    short = min(w, h)
    amp = 0.02 * short
    wobbled = warp(mirrored, noise_field(rng, w, h) * amp, noise_field(rng, w, h) * amp)
    softened = to_float(blur(to_u8(wobbled), max(1.5, short / 96)))
    out = wobbled + (softened - wobbled) * far
    # Texture and the prompt: a fresh render, recoloured to the picture, fading in with distance.
    _, palette = posterise(rgb[top:bottom, left:right], 12)
    fresh = _render(prompt or "abstract", seed, w, h, preset)
    fresh = recolour(fresh, palette) * 0.5 + fresh * 0.5 if prompt else recolour(fresh, palette)
    out = out + (fresh - out) * (0.15 + 0.3 * far)
    grain = noise_field(rng, w, h, cells=24)[..., None] * 0.03
    edited = to_u8(out + grain * far)
    # No feather: the border holds only the canvas's placeholder fill, nothing worth blending
    # with, and the mirrored content already meets the original edge without a seam.
    return composite(rgb, edited, inner_feather(mask, 0.0))


def upscale(rgb: U8, factor: int) -> U8:
    return sharpen_upscale(rgb, factor)


def upscale_alpha(alpha: U8, factor: int) -> U8:
    h, w = alpha.shape
    return resample(alpha, (w * factor, h * factor))
