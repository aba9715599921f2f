"""Landscapes: a sky, a sun or moon, then terrain layers painted far to near.

Each terrain layer is a 1-D height profile (ridges, tree lines, skylines, dunes) turned into a
mask with one vectorised comparison, so a scene with six layers still costs only a handful of
full-frame operations. Far layers are mixed with the horizon colour (aerial perspective), which
is most of what makes these read as depth rather than stripes.
"""

from __future__ import annotations

import numpy as np

from pixel_studio.providers.sketch.canvas import F32, Canvas, Color, mix, scale, smoothstep
from pixel_studio.providers.sketch.palette import Palette

TERRAINS = ("mountain", "city", "forest", "hills", "desert", "sea")


def draw_landscape(
    c: Canvas, pal: Palette, rng: np.random.Generator, terrains: list[str], celestial: str
) -> None:
    sea = "sea" in terrains
    land = [t for t in TERRAINS if t in terrains and t != "sea"]
    horizon = float(rng.uniform(0.52, 0.62)) if sea else float(rng.uniform(0.58, 0.7))

    _sky(c, pal, rng, horizon, celestial)
    if not land and not sea:
        land = ["hills"]
    if "hills" in land and len(land) > 1:
        land.remove("hills")  # rolling hills only stand alone; elsewhere they crowd the layers

    # Land layers share the space between a band above the horizon and the bottom (or the
    # water line); their order is fixed so mountains stay behind cities and trees.
    bottom = horizon if sea else 1.0
    layer = 0
    for kind in land:
        if kind == "mountain":
            for i, (base, amp) in enumerate(((horizon - 0.06, 0.3), (horizon, 0.16))):
                _mountains(c, pal, rng, base, amp, depth=layer + i, snow=i == 0)
            layer += 2
        elif kind == "city":
            _city(c, pal, rng, horizon, bottom, depth=layer)
            layer += 1
        elif kind == "forest":
            _forest(c, pal, rng, horizon, bottom, depth=layer)
            layer += 1
        elif kind == "desert":
            _dunes(c, pal, rng, horizon, bottom)
        elif kind == "hills":
            for i in range(3):
                p = c.profile(
                    rng, horizon - 0.05 + i * 0.12, 0.05, points=3, octaves=3, smooth=True
                )
                _fill_layer(c, p, pal.ground[min(i + 1, 3)], pal, shade=0.0, profile=p)
    if sea:
        _water(c, pal, rng, horizon)
    elif land != ["hills"]:
        # A dark foreground strip anchors the picture and hides where the layers stop.
        p = c.profile(rng, 0.94, 0.03, points=3, octaves=3, smooth=True)
        _fill_layer(c, p, pal.ground[3], pal, shade=0.0, profile=p)


def _sky(c: Canvas, pal: Palette, rng: np.random.Generator, horizon: float, body: str) -> None:
    c.fill(c.vgrad(pal.sky_top, pal.sky_horizon, 0.0, horizon))
    bx = float(rng.uniform(0.2, 0.8))
    by = float(rng.uniform(0.15, horizon - 0.12))
    if pal.sunset and body == "sun":
        by = horizon - float(rng.uniform(0.02, 0.1))  # a setting sun sits low
    if pal.night or body == "moon":
        _stars(c, rng, horizon, 0.55 if pal.night else 0.25)
    if body == "sun":
        c.add(c.glow(bx, by, 0.35), pal.accent, 0.45)
        c.add(c.glow(bx, by, 0.12), pal.body, 0.5)
        c.paint(c.disc(bx, by, 0.075), pal.body)
    elif body == "moon":
        c.add(c.glow(bx, by, 0.22), pal.body, 0.22)
        disc = c.disc(bx, by, 0.06)
        craters = smoothstep(0.55, 0.8, c.fbm(rng, cells=10, octaves=3)) * 0.18
        c.paint(disc, pal.body)
        c.paint(disc * craters, scale(pal.body, 0.7))
    # Clouds: thresholded noise squeezed vertically, fading out towards the horizon.
    n = c.fbm(rng, cells=3, octaves=5)
    streak = smoothstep(0.55, 0.8, n) * smoothstep(horizon, horizon * 0.35, c.Y)
    cloud = mix(pal.sky_horizon, (1.0, 1.0, 1.0), 0.35 if not pal.night else 0.0)
    c.paint(streak, cloud, 0.55 if not pal.night else 0.3)


def _stars(c: Canvas, rng: np.random.Generator, horizon: float, density: float) -> None:
    n = int(400 * density)
    xs = rng.random(n)
    ys = rng.random(n) ** 1.6 * horizon  # thicker towards the zenith
    bright = rng.uniform(0.3, 1.0, n).astype(np.float32)
    rows = np.minimum((ys * c.h).astype(int), c.h - 1)
    cols = np.minimum((xs * c.w).astype(int), c.w - 1)
    c.img[rows, cols] += bright[:, None] * 0.9
    big = bright > 0.9  # a few brighter stars get a 2×2 body
    r2, c2 = np.minimum(rows[big] + 1, c.h - 1), np.minimum(cols[big] + 1, c.w - 1)
    for rr, cc in ((r2, cols[big]), (rows[big], c2), (r2, c2)):
        c.img[rr, cc] += 0.45


def _fill_layer(c: Canvas, top: F32, color: Color, pal: Palette, shade: float, profile: F32) -> F32:
    """Paint everything under `top`, lit from the left according to the ridge's slope."""
    mask = c.below(top)
    grad = c.vgrad(scale(color, 1.12), scale(color, 0.78), float(top.min()), 1.0)
    if shade:
        # Which way a point of the face looks: compare the ridge at equal distances left and
        # right of it, that distance growing with depth below the ridge. Near the crest this is
        # the local slope; lower down it follows the big peaks, so faces run diagonally down
        # from each summit like real mountain flanks instead of hanging as vertical stripes.
        depth = np.clip((c.Y - profile[None, :]) * c.h, 1.0, c.w / 6.0)
        xs = np.arange(c.w, dtype=np.float32)[None, :]
        left = profile[np.clip((xs - depth).astype(np.int32), 0, c.w - 1)]
        right = profile[np.clip((xs + depth).astype(np.int32), 0, c.w - 1)]
        facing = np.tanh((left - right) * c.h / depth * 4.0)
        # Fade with depth: far below the crest the faces blur into the mountain's foot.
        facing = facing * np.exp(-depth / (c.h * 0.2))
        grad = grad * (1.0 + shade * facing)[..., None]
    c.paint(mask, grad)
    return mask


def _mountain_ridge(c: Canvas, rng: np.random.Generator, base: float, amp: float) -> F32:
    """A few big peaks (triangles of random height and slope) roughened with fractal detail."""
    x = c.X[0]
    n = int(rng.integers(3, 6))
    centers = (np.arange(n) + rng.uniform(0.2, 0.8, n)) / n
    heights = amp * rng.uniform(0.45, 1.0, n)
    # Half-widths in X units: a slope between roughly 30° and 50° whatever the aspect ratio.
    half = heights * rng.uniform(1.1, 2.0, n) * (c.h / c.w)
    peaks = heights[:, None] * (1.0 - np.abs(x[None, :] - centers[:, None]) / half[:, None])
    ridge = np.maximum(peaks.max(axis=0), 0.0)
    detail = c.profile(rng, 0.0, amp * 0.1, points=8, octaves=4, roughness=0.55)
    return (base - ridge + detail).astype(np.float32)


def _mountains(
    c: Canvas,
    pal: Palette,
    rng: np.random.Generator,
    base: float,
    amp: float,
    depth: int,
    snow: bool,
) -> None:
    ridge = _mountain_ridge(c, rng, base, amp)
    color = pal.ground[min(depth, 3)]
    _fill_layer(c, ridge, color, pal, shade=0.22, profile=ridge)
    if snow and (pal.winter or rng.random() < 0.7):
        # Snow caps the peaks that rise above a snow line, thicker on the higher ones, with a
        # ragged lower edge from noise.
        line = base - amp * 0.45
        thickness = np.clip(line - ridge, 0.0, None) * 0.8
        ragged = c.fbm(rng, cells=10, octaves=3) * 0.03
        cap = c.below(ridge) * smoothstep(0.004, -0.004, c.Y - ridge - thickness + ragged)
        c.paint(cap, mix((0.96, 0.97, 1.0), pal.sky_horizon, 0.2), 0.9)
    # Haze at the foot of the range separates it from the next layer.
    c.paint(smoothstep(base - 0.05, base + 0.1, c.Y) * c.below(ridge), pal.sky_horizon, 0.35)


def _forest(
    c: Canvas, pal: Palette, rng: np.random.Generator, horizon: float, bottom: float, depth: int
) -> None:
    x = c.X[0]
    for i in range(3):
        near = i / 2.0
        base = horizon + 0.02 + near * (bottom - horizon) * 0.5
        n_trees = int(70 - 25 * i)
        tx = rng.random(n_trees).astype(np.float32)
        th = rng.uniform(0.06, 0.14, n_trees).astype(np.float32) * (1.0 + near)
        tw = th * rng.uniform(0.22, 0.32, n_trees).astype(np.float32) * (c.h / c.w)
        # A pine is a triangle: its height at column x falls linearly away from its trunk.
        spikes = th[:, None] * (1.0 - np.abs(x[None, :] - tx[:, None]) / tw[:, None])
        top = base - np.maximum(spikes.max(axis=0), 0.0)
        color = mix(pal.ground[min(depth + i + 1, 3)], pal.ink, 0.25 * near)
        _fill_layer(c, top.astype(np.float32), color, pal, shade=0.0, profile=top)


def _city(
    c: Canvas, pal: Palette, rng: np.random.Generator, horizon: float, bottom: float, depth: int
) -> None:
    x = c.X[0]
    for i in range(2):
        near = float(i)
        base = horizon + 0.01 + near * 0.05
        edges = np.cumsum(rng.uniform(0.03, 0.09, 40))
        edges = edges[edges < 1.1]
        heights = rng.uniform(0.08, 0.3, len(edges) + 1) * (1.0 + 0.4 * near)
        idx = np.searchsorted(edges, x)
        top = (base - heights[idx]).astype(np.float32)
        color = mix(pal.ground[min(depth + i + 1, 3)], pal.ink, 0.35 * near)
        mask = _fill_layer(c, top, color, pal, shade=0.0, profile=top)
        # Windows: a grid of cells sized to the picture, each lit or dark from a random table;
        # the far row gets fewer, dimmer lights so the near buildings stand out.
        cols, rows = 64, int(64 * c.h / c.w * 1.4)
        cx = (c.X * cols).astype(np.int32)
        cy = (c.Y * rows).astype(np.int32)
        chance = (0.22 if pal.night else 0.1) * (0.5 + near)
        lit_table = rng.random((rows + 1, cols + 1)) < chance
        in_cell = ((c.X * cols) % 1.0 < 0.5) & ((c.Y * rows) % 1.0 < 0.55)
        lit = lit_table[cy, cx] & in_cell & (top[None, :] + 0.02 < c.Y)
        glow = pal.accent if pal.night else mix(pal.sky_horizon, (1.0, 1.0, 1.0), 0.3)
        strength = (0.9 if pal.night else 0.35) * (0.55 + 0.45 * near)
        c.paint(mask * lit.astype(np.float32), glow, strength)


def _dunes(
    c: Canvas, pal: Palette, rng: np.random.Generator, horizon: float, bottom: float
) -> None:
    sand = mix(pal.accent, pal.ground[1], 0.4)
    for i in range(4):
        base = horizon + i * (bottom - horizon) / 4.0
        p = c.profile(rng, base, 0.04 + 0.02 * i, points=2, octaves=3, roughness=0.3, smooth=True)
        col = mix(sand, pal.ink, 0.12 * i) if not pal.night else scale(sand, 0.35)
        _fill_layer(c, p, col, pal, shade=0.6, profile=p)


def _water(c: Canvas, pal: Palette, rng: np.random.Generator, horizon: float) -> None:
    hr = int(horizon * c.h)
    if hr <= 0 or hr >= c.h:
        return
    below = c.h - hr
    t = (np.arange(below, dtype=np.float32) + 1.0) / below  # 0 at the horizon, 1 at the bottom
    # Mirror what is above the horizon into the water. Each row is shifted sideways by a random
    # amount that grows towards the viewer: this breaks the sun or moon into a glitter path.
    src_rows = np.clip(hr - 1 - (np.arange(below) * 0.8).astype(int), 0, hr - 1)
    jitter = rng.normal(0.0, 1.0, below) * (1.0 + 14.0 * t) * (c.w / 512.0)
    cols = (np.arange(c.w)[None, :] + jitter.astype(int)[:, None]) % c.w
    reflection = c.img[src_rows[:, None], cols]
    water = c.vgrad(pal.water, scale(pal.water, 0.6), horizon, 1.0)[hr:]
    mixed = reflection * (0.6 - 0.25 * t[:, None, None]) + water * (0.4 + 0.25 * t[:, None, None])
    # Wave crests: horizontally stretched noise, its rows squeezed towards the horizon.
    noise = c.fbm(rng, cells=6, octaves=4, stretch=5.0)
    persp = np.clip((np.sqrt(t) * (c.h - 1)).astype(int), 0, c.h - 1)
    crest = smoothstep(0.62, 0.8, noise[persp]) * (0.05 + 0.12 * t[:, None])
    c.img[hr:] = mixed + crest[..., None] * np.asarray(pal.sky_horizon, np.float32)
    c.paint(c.band(horizon - 0.002, horizon + 0.003), mix(pal.sky_horizon, pal.water, 0.5), 0.6)
