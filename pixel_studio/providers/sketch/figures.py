"""The non-landscape compositions: a portrait silhouette, abstract art and outer space."""

from __future__ import annotations

import numpy as np

from pixel_studio.providers.sketch.canvas import F32, Canvas, mix, scale, smoothstep
from pixel_studio.providers.sketch.palette import Palette


def _bokeh(c: Canvas, pal: Palette, rng: np.random.Generator, count: int) -> None:
    for _ in range(count):
        color = pal.swatches[int(rng.integers(0, 4))]
        r = float(rng.uniform(0.02, 0.09))
        c.paint(
            c.disc(float(rng.random()), float(rng.random()), r), color, float(rng.uniform(0.1, 0.3))
        )


SKIN_TONES = ((0.96, 0.80, 0.69), (0.87, 0.67, 0.52), (0.67, 0.47, 0.34), (0.45, 0.30, 0.22))


# The bust is laid out in short-side units so it keeps its proportions in tall and wide frames;
# _v and _u turn such a length into a fraction of the height or the width.
def _v(c: Canvas, d: float) -> float:
    return d * c.short / c.h


def _u(c: Canvas, d: float) -> float:
    return d * c.short / c.w


def _figure(c: Canvas, cx: float, head_y: float, dx: float = 0.0, dy: float = 0.0) -> F32:
    """Mask of a head-and-shoulders bust; (dx, dy) shifts it, which is how the rim is cut."""
    x, y = cx + dx, head_y + dy
    return np.maximum(np.maximum(_head(c, x, y), _neck(c, x, y)), _shoulders(c, x, y))


def _head(c: Canvas, x: float, y: float) -> F32:
    return c.disc(x, y, 0.13, sx=0.8, sy=1.0)


def _neck(c: Canvas, x: float, y: float) -> F32:
    return c.rounded_box(x, y + _v(c, 0.17), 0.048, 0.09, power=3.0)


def _shoulders(c: Canvas, x: float, y: float) -> F32:
    # The top edge sits at a fixed distance under the head; the bottom always runs off the
    # frame, however tall the picture is.
    top = y + _v(c, 0.21)
    bottom = max(y + _v(c, 0.73), 1.05)
    half = (bottom - top) / 2.0 * c.h / c.short
    return c.rounded_box(x, (top + bottom) / 2.0, 0.3, half, power=3.0)


def draw_portrait(c: Canvas, pal: Palette, rng: np.random.Generator) -> None:
    c.fill(c.vgrad(pal.sky_horizon, pal.sky_top, 0.0, 1.0))
    cx = float(rng.uniform(0.44, 0.56))
    head_y = float(rng.uniform(0.36, 0.4))
    side = 1.0 if rng.random() < 0.5 else -1.0  # which side the light comes from
    c.add(c.glow(cx + _u(c, 0.25) * side, head_y - _v(c, 0.1), 0.45), pal.accent, 0.3)
    _bokeh(c, pal, rng, 14)

    hair_color = mix(pal.ink, pal.swatches[1], float(rng.uniform(0.15, 0.45)))
    long_hair = rng.random() < 0.6
    # Hair behind the head: a slightly larger ellipse, and for long hair a fall to the shoulders.
    back = c.disc(cx, head_y - _v(c, 0.015), 0.15, sx=0.86, sy=1.0)
    if long_hair:
        back = np.maximum(back, c.rounded_box(cx, head_y + _v(c, 0.08), 0.13, 0.17, power=2.5))
    c.paint(back, hair_color)

    skin = mix(SKIN_TONES[int(rng.integers(0, len(SKIN_TONES)))], pal.swatches[0], 0.12)
    # Light falls from one side: a horizontal ramp across the figure.
    ramp = np.clip(0.5 + (c.X - cx) * side * 3.0, 0.0, 1.0)[..., None]
    lit = np.asarray(scale(skin, 1.1), np.float32) * ramp
    shaded = lit + np.asarray(scale(skin, 0.72), np.float32) * (1.0 - ramp)
    # The neck sits in the head's shadow: painted darker, before the head covers its top.
    c.paint(_neck(c, cx, head_y), shaded * 0.8)
    cloth_color = c.vgrad(scale(pal.swatches[0], 0.95), scale(pal.swatches[0], 0.5))
    neckline = 1.0 - c.disc(cx, head_y + _v(c, 0.21), 0.06, sx=1.3, sy=0.9)
    c.paint(_shoulders(c, cx, head_y) * neckline, cloth_color)
    c.paint(_head(c, cx, head_y), shaded)
    # A side-swept fringe over the top of the head.
    cap = c.disc(cx, head_y - _v(c, 0.01), 0.14, sx=0.84, sy=1.0)
    line = head_y - _v(c, 0.05) + (c.X - cx) * (c.w / c.h) * 0.5 * side
    c.paint(cap * smoothstep(0.004, -0.004, c.Y - line), hair_color)
    # Rim light: the part of the figure that a copy shifted towards the light does not cover.
    body = _figure(c, cx, head_y)
    rim = body * (1.0 - _figure(c, cx, head_y, dx=_u(c, 0.008) * side, dy=_v(c, 0.004)))
    c.paint(rim, mix(pal.accent, (1.0, 1.0, 1.0), 0.45), 0.8)


def draw_abstract(c: Canvas, pal: Palette, rng: np.random.Generator) -> None:
    variant = int(rng.integers(0, 3))
    paper = mix(pal.swatches[3], (0.96, 0.94, 0.9), 0.7)
    if variant == 0:
        # Geometric: discs, half discs and bars on paper, in the spirit of a Bauhaus poster.
        c.fill(c.vgrad(paper, scale(paper, 0.92)))
        for i in range(int(rng.integers(5, 9))):
            color = pal.swatches[i % 5]
            x, y = float(rng.random()), float(rng.random())
            r = float(rng.uniform(0.08, 0.3))
            shape = c.disc(x, y, r)
            if rng.random() < 0.4:
                shape = shape * (y < c.Y).astype(np.float32)  # half disc
            if rng.random() < 0.25:
                shape = c.band(y, y + float(rng.uniform(0.02, 0.08))) * np.ones_like(c.X)
            c.paint(shape, color, float(rng.uniform(0.75, 1.0)))
    elif variant == 1:
        # Flowing bands: stacked wavy layers cycling through the palette.
        c.fill(pal.swatches[4])
        for i in range(9):
            base = 0.05 + i * 0.11
            p = c.profile(rng, base, 0.08, points=2, octaves=2, roughness=0.3, smooth=True)
            color = mix(pal.swatches[i % 4], pal.ink, 0.05 * i)
            c.paint(c.below(p), c.vgrad(scale(color, 1.2), scale(color, 0.8), base, base + 0.2))
    else:
        # Mesh gradient: soft coloured orbs blended together, like a modern wallpaper.
        c.fill(pal.swatches[4])
        for i in range(7):
            g = c.glow(float(rng.random()), float(rng.random()), float(rng.uniform(0.18, 0.38)))
            c.paint(g, pal.swatches[i % 4], 0.95)
        # A soft light from one corner gives the blend a direction.
        c.add(c.glow(float(rng.choice([0.0, 1.0])), 0.0, 0.7), paper, 0.25)


def draw_space(c: Canvas, pal: Palette, rng: np.random.Generator) -> None:
    c.fill(c.vgrad(scale(pal.ink, 0.6), scale(pal.ink, 1.3)))
    # Nebula: two noise fields tinted with the palette's main colours, added as light.
    for color, strength in ((pal.swatches[0], 0.55), (pal.swatches[1], 0.4)):
        n = smoothstep(0.35, 0.95, c.fbm(rng, cells=2, octaves=6))
        c.add(n * n, color, strength)
    n_stars = 900
    rows = (rng.random(n_stars) * c.h).astype(int)
    cols = (rng.random(n_stars) * c.w).astype(int)
    c.img[rows, cols] += rng.uniform(0.2, 1.0, n_stars).astype(np.float32)[:, None]
    # A planet, lit from one side: shade by the sphere's normal towards the light.
    px, py = float(rng.uniform(0.25, 0.75)), float(rng.uniform(0.4, 0.7))
    r = float(rng.uniform(0.14, 0.24))
    d = c.dist(px, py) / r
    disc = c.disc(px, py, r)
    lx, ly = -0.6, -0.5
    nz = np.sqrt(np.clip(1.0 - d * d, 0.0, 1.0))
    nx = (c.X - px) * (c.w / c.short) / r
    ny = (c.Y - py) * (c.h / c.short) / r
    lambert = np.clip(nx * lx + ny * ly + nz * 0.6, 0.0, 1.0)[..., None]
    bands = 0.85 + 0.15 * np.sin(ny * 9.0 + c.fbm(rng, cells=3, octaves=3) * 3.0)[..., None]
    surface = np.asarray(pal.swatches[2], np.float32) * (0.08 + 0.92 * lambert) * bands
    c.paint(disc, surface)
    c.add(c.glow(px, py, r * 1.25) * (1.0 - disc), pal.swatches[1], 0.35)
    if rng.random() < 0.6:
        ring_d = c.dist(px, py, sx=2.2, sy=0.45)
        ring = smoothstep(r * 0.62, r * 0.66, ring_d) * smoothstep(r * 0.86, r * 0.8, ring_d)
        front = (py < c.Y).astype(np.float32)
        c.paint(ring * np.maximum(front, 1.0 - disc), mix(pal.accent, (1.0, 1.0, 1.0), 0.4), 0.7)
