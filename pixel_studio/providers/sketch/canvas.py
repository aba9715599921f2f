"""A float RGB canvas with the few drawing primitives the sketch scenes need.

Coordinates are normalised (X: 0..1 left→right, Y: 0..1 top→bottom) so a scene draws the same
picture at every size; distances that must be round (discs, glows) are measured in units of the
short side. Every shape is a soft mask (anti-aliased over about one pixel) and is painted with a
single vectorised NumPy operation, which is what keeps a 1024² picture well under a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# Float arrays: float32 by construction, but NumPy's stubs widen many results to float64.
F32 = NDArray[np.floating[Any]]
Color = tuple[float, float, float]


def smoothstep(e0: float, e1: float, x: F32) -> F32:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32, copy=False)


def mix(a: Color, b: Color, t: float) -> Color:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def scale(c: Color, k: float) -> Color:
    return (min(c[0] * k, 1.0), min(c[1] * k, 1.0), min(c[2] * k, 1.0))


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.w = width
        self.h = height
        self.short = min(width, height)
        self.X: F32 = ((np.arange(width, dtype=np.float32) + 0.5) / width)[None, :]
        self.Y: F32 = ((np.arange(height, dtype=np.float32) + 0.5) / height)[:, None]
        self.img: F32 = np.zeros((height, width, 3), np.float32)

    # -- colour fields -------------------------------------------------------------------
    def vgrad(self, top: Color, bottom: Color, y0: float = 0.0, y1: float = 1.0) -> F32:
        """A vertical gradient as an (h, 1, 3) array: broadcasting makes it cost one row."""
        t = np.clip((self.Y - y0) / max(y1 - y0, 1e-6), 0.0, 1.0)[..., None]
        a = np.asarray(top, np.float32)
        b = np.asarray(bottom, np.float32)
        return (a + (b - a) * t).astype(np.float32)

    def fill(self, color: Color | F32) -> None:
        self.img[...] = color

    def _region(self, mask: F32, color: Color | F32) -> tuple[F32, F32, F32] | None:
        """Crop the work to the mask's bounding box: most shapes cover a small part of the
        frame, and blending only there makes a dozen bokeh discs cost almost nothing."""
        col = np.asarray(color, np.float32)
        if mask.ndim != 2 or mask.shape != (self.h, self.w):
            m = mask[..., None] if mask.ndim == 2 else mask
            return self.img, m, col
        nz = mask > 0.0
        rows = np.flatnonzero(nz.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(nz.any(axis=0))
        r = slice(int(rows[0]), int(rows[-1]) + 1)
        c = slice(int(cols[0]), int(cols[-1]) + 1)
        if col.ndim == 3:
            col = col[
                r if col.shape[0] > 1 else slice(None), c if col.shape[1] > 1 else slice(None)
            ]
        return self.img[r, c], mask[r, c, None], col

    def paint(self, mask: F32, color: Color | F32, opacity: float = 1.0) -> None:
        """Alpha-blend `color` where `mask` (0..1, broadcastable to h×w) is set."""
        region = self._region(mask, color)
        if region is None:
            return
        target, m, col = region
        if opacity != 1.0:
            m = m * opacity
        target += (col - target) * m

    def add(self, mask: F32, color: Color, strength: float = 1.0) -> None:
        """Additive light (glows, highlights): brightens without hiding what is under it."""
        region = self._region(mask, color)
        if region is None:
            return
        target, m, col = region
        target += m * (col * strength)

    # -- shapes ----------------------------------------------------------------------------
    def dist(self, cx: float, cy: float, sx: float = 1.0, sy: float = 1.0) -> F32:
        """Distance from (cx, cy) in short-side units, with optional ellipse scaling."""
        dx = (self.X - cx) * (self.w / self.short) / sx
        dy = (self.Y - cy) * (self.h / self.short) / sy
        return np.sqrt(dx * dx + dy * dy).astype(np.float32, copy=False)

    def disc(self, cx: float, cy: float, r: float, sx: float = 1.0, sy: float = 1.0) -> F32:
        d = self.dist(cx, cy, sx, sy)
        return np.clip((r - d) * self.short + 0.5, 0.0, 1.0)

    def rounded_box(self, cx: float, cy: float, a: float, b: float, power: float = 4.0) -> F32:
        """A superellipse |dx/a|^p + |dy/b|^p < 1: a box with rounded corners (shoulders)."""
        dx = np.abs((self.X - cx) * (self.w / self.short) / a)
        dy = np.abs((self.Y - cy) * (self.h / self.short) / b)
        f = (dx**power + dy**power) ** (1.0 / power)
        return np.clip((1.0 - f) * min(a, b) * self.short + 0.5, 0.0, 1.0)

    def glow(self, cx: float, cy: float, r: float) -> F32:
        d = self.dist(cx, cy)
        return np.exp(-((d / r) ** 2)).astype(np.float32)

    def below(self, profile: F32) -> F32:
        """Mask of everything below a per-column height profile (w,), soft over one pixel."""
        return np.clip((self.Y - profile[None, :]) * self.h + 0.5, 0.0, 1.0)

    def band(self, y0: float, y1: float) -> F32:
        return np.clip((self.Y - y0) * self.h + 0.5, 0, 1) * np.clip((y1 - self.Y) * self.h, 0, 1)

    # -- noise -----------------------------------------------------------------------------
    def fbm(
        self, rng: np.random.Generator, cells: int = 4, octaves: int = 5, stretch: float = 1.0
    ) -> F32:
        """Fractal value noise in 0..1 over the whole canvas.

        Summed at a small working resolution and upscaled once with Pillow's bicubic filter:
        the noise is smooth anyway, and this costs a few milliseconds even at 1024².
        `stretch` > 1 elongates the features horizontally (waves, cloud streaks).
        """
        aspect = self.w / self.h
        ww = max(8, min(self.w, 320))
        wh = max(8, round(ww / aspect))
        acc = np.zeros((wh, ww), np.float32)
        amp, total = 1.0, 0.0
        for o in range(octaves):
            gx = max(2, round(cells * 2**o * min(aspect, 4.0) / stretch) + 1)
            gy = max(2, round(cells * 2**o / max(aspect, 0.25)) + 1)
            grid = rng.random((gy, gx), dtype=np.float32)
            layer = Image.fromarray(grid, mode="F").resize((ww, wh), Image.Resampling.BICUBIC)
            acc += np.asarray(layer, np.float32) * amp
            total += amp
            amp *= 0.5
        acc /= total
        lo, hi = float(acc.min()), float(acc.max())
        acc = (acc - lo) / max(hi - lo, 1e-6)
        if (ww, wh) != (self.w, self.h):
            big = Image.fromarray(acc, mode="F").resize((self.w, self.h), Image.Resampling.BICUBIC)
            acc = np.asarray(big, np.float32)
        return acc

    def profile(
        self,
        rng: np.random.Generator,
        base: float,
        amplitude: float,
        points: int = 6,
        octaves: int = 5,
        roughness: float = 0.5,
        smooth: bool = False,
    ) -> F32:
        """A 1-D fractal ridge line (w,): base height ± amplitude, as used by hills and peaks.

        Linear interpolation between control points gives the sharp kinks of rock ridges;
        `smooth` uses cosine interpolation instead, for hills, dunes and waves.
        """
        x = self.X[0]
        acc = np.zeros(self.w, np.float32)
        amp = 1.0
        for o in range(octaves):
            n = points * 2**o + 1
            ctrl = rng.uniform(-1.0, 1.0, n).astype(np.float32)
            pos = x * (n - 1)
            i = np.minimum(pos.astype(np.int32), n - 2)
            t = pos - i
            if smooth:
                t = (1.0 - np.cos(t * np.pi)) * 0.5
            acc += (ctrl[i] + (ctrl[i + 1] - ctrl[i]) * t).astype(np.float32) * amp
            amp *= roughness
        acc /= max(float(np.abs(acc).max()), 1e-6)
        return (base - acc * amplitude).astype(np.float32)

    def to_uint8(self) -> NDArray[np.uint8]:
        return (np.clip(self.img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
