"""Turn the prompt's colour and mood words into a palette a scene can paint with.

Colour words win over everything else, so "crimson mountains" is red whatever the seed; with
no colour word the scene suggests a hue (forests are green, seas blue) and the seed varies it.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, field

import numpy as np

from pixel_studio.providers.sketch.canvas import Color, mix

# name -> (hue 0..1, saturation, value)
COLOR_WORDS: dict[str, tuple[float, float, float]] = {
    "crimson": (0.965, 0.90, 0.86),
    "red": (0.0, 0.85, 0.90),
    "scarlet": (0.01, 0.92, 0.95),
    "ruby": (0.95, 0.85, 0.75),
    "maroon": (0.98, 0.80, 0.50),
    "coral": (0.03, 0.60, 1.0),
    "orange": (0.07, 0.90, 1.0),
    "amber": (0.10, 0.90, 1.0),
    "peach": (0.07, 0.40, 1.0),
    "copper": (0.06, 0.70, 0.72),
    "bronze": (0.08, 0.70, 0.70),
    "brown": (0.07, 0.65, 0.45),
    "golden": (0.12, 0.80, 1.0),
    "gold": (0.12, 0.80, 1.0),
    "yellow": (0.15, 0.85, 1.0),
    "lemon": (0.16, 0.75, 1.0),
    "lime": (0.25, 0.80, 0.90),
    "green": (0.33, 0.75, 0.70),
    "emerald": (0.39, 0.80, 0.70),
    "jade": (0.42, 0.60, 0.65),
    "olive": (0.20, 0.60, 0.50),
    "mint": (0.42, 0.40, 0.95),
    "teal": (0.50, 0.85, 0.60),
    "turquoise": (0.48, 0.75, 0.85),
    "cyan": (0.50, 0.85, 1.0),
    "aqua": (0.49, 0.70, 1.0),
    "azure": (0.58, 0.70, 1.0),
    "blue": (0.61, 0.85, 0.90),
    "cobalt": (0.60, 0.90, 0.75),
    "sapphire": (0.62, 0.90, 0.70),
    "navy": (0.63, 0.90, 0.45),
    "indigo": (0.70, 0.85, 0.60),
    "violet": (0.76, 0.70, 0.90),
    "purple": (0.78, 0.75, 0.70),
    "lavender": (0.74, 0.35, 0.95),
    "lilac": (0.80, 0.30, 0.90),
    "magenta": (0.86, 0.90, 0.95),
    "fuchsia": (0.88, 0.85, 0.95),
    "pink": (0.93, 0.45, 1.0),
    "rose": (0.95, 0.55, 0.95),
    "ivory": (0.14, 0.12, 1.0),
    "beige": (0.10, 0.25, 0.90),
    "sepia": (0.08, 0.45, 0.60),
    "silver": (0.60, 0.05, 0.80),
    "grey": (0.60, 0.05, 0.55),
    "gray": (0.60, 0.05, 0.55),
    "white": (0.60, 0.03, 1.0),
    "black": (0.65, 0.20, 0.12),
    "monochrome": (0.60, 0.0, 0.60),
}

NIGHT_WORDS = {"night", "midnight", "nocturnal", "moonlit", "moonlight", "dark", "starry"}
SUNSET_WORDS = {"sunset", "sunrise", "dusk", "dawn", "twilight", "evening"}
PASTEL_WORDS = {"pastel", "soft", "misty", "foggy", "fog", "mist", "dreamy", "hazy"}
WINTER_WORDS = {"winter", "snow", "snowy", "ice", "icy", "frozen", "arctic", "frost"}
AUTUMN_WORDS = {"autumn", "fall", "harvest"}

# Hues a scene suggests when the prompt names no colour (the seed still nudges them).
SCENE_HUES: dict[str, float] = {
    "forest": 0.32,
    "hills": 0.27,
    "sea": 0.55,
    "mountain": 0.62,
    "desert": 0.08,
    "city": 0.66,
    "space": 0.72,
}


@dataclass(frozen=True)
class Palette:
    sky_top: Color
    sky_horizon: Color
    accent: Color  # sun, lit windows, rim light
    body: Color  # the disc of the sun or moon
    ground: tuple[Color, ...]  # terrain layers, far to near
    water: Color
    ink: Color  # darkest tone: outlines, silhouettes
    swatches: tuple[Color, ...]  # the main colours, for abstract compositions
    night: bool = False
    sunset: bool = False
    winter: bool = False
    named: tuple[str, ...] = field(default_factory=tuple)  # colour words found in the prompt


def hsv(h: float, s: float, v: float) -> Color:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return (r, g, b)


def build_palette(words: list[str], scene: str, rng: np.random.Generator) -> Palette:
    ws = set(words)
    named = [w for w in words if w in COLOR_WORDS]
    night = bool(ws & NIGHT_WORDS)
    sunset = bool(ws & SUNSET_WORDS) and not night
    pastel = bool(ws & PASTEL_WORDS)
    winter = bool(ws & WINTER_WORDS)

    if named:
        h1, s1, v1 = COLOR_WORDS[named[0]]
    else:
        if sunset:
            base = 0.78
        elif winter:
            base = 0.58
        elif ws & AUTUMN_WORDS:
            base = 0.06
        else:
            base = SCENE_HUES.get(scene, float(rng.random()))
        h1, s1, v1 = base + float(rng.normal(0.0, 0.05)), 0.7, 0.85
    if len(named) > 1:
        h2, s2, v2 = COLOR_WORDS[named[1]]
    else:
        # An analogous neighbour keeps a single named colour clearly dominant.
        h2, s2, v2 = h1 + float(rng.choice([-1.0, 1.0]) * rng.uniform(0.04, 0.09)), s1, v1
    if len(named) > 2:
        h3, s3, _ = COLOR_WORDS[named[2]]
    elif sunset:
        h3, s3 = 0.09, 0.85
    elif night:
        h3, s3 = h1, 0.12
    else:
        # The light source stays warm-ish whatever the scene colour: a blue sun looks wrong.
        h3, s3 = 0.11 + float(rng.uniform(-0.04, 0.03)), 0.7

    sat = 0.55 if pastel else 1.0
    # Dark yellows turn olive; shading the top of a yellow sky towards orange keeps it golden.
    top_h = h1 - 0.05 if 0.1 < h1 % 1.0 < 0.22 else h1
    dim = 0.32 if night else 1.0
    sky_top = hsv(top_h, s1 * 0.75 * sat, max(0.10, min(v1, 0.8) * 0.62 * dim))
    if sunset and not named:
        sky_horizon = hsv(0.06, 0.75 * sat, 1.0)
    else:
        sky_horizon = hsv(h2, s2 * 0.45 * sat, (0.97 if not night else 0.42) * max(v2, 0.6))
    if pastel:
        sky_top = mix(sky_top, (0.92, 0.92, 0.95), 0.35)
    accent = hsv(h3, s3 * sat, 1.0)
    body = mix(accent, (1.0, 1.0, 0.96), 0.55 if not night else 0.8)

    ground: list[Color] = []
    for i in range(4):
        depth = i / 3.0  # 0 far .. 1 near
        g_h = (h1 if i % 2 == 0 else h2) + 0.02 * i
        g_s = (0.35 + 0.45 * depth) * max(s1, 0.15) * sat
        g_v = (0.62 - 0.45 * depth) * (0.45 if night else 1.0) * max(v1, 0.5)
        ground.append(mix(hsv(g_h, g_s, g_v), sky_horizon, 0.45 * (1.0 - depth)))
    if winter:
        ground = [mix(g, (0.9, 0.93, 0.98), 0.35) for g in ground]

    water = mix(hsv(h2, max(s2, 0.2) * 0.8 * sat, 0.45 * dim + 0.1), sky_top, 0.3)
    ink = hsv(h1, 0.55 * max(s1, 0.2), 0.10)
    swatches = (
        hsv(h1, s1 * sat, v1),
        hsv(h2, s2 * sat, v2),
        hsv(h3 if len(named) > 2 else h1 + 0.5, 0.65 * sat, 0.95),
        hsv(h1 + 0.03, s1 * 0.5 * sat, min(1.0, v1 * 1.1)),
        ink,
    )
    return Palette(
        sky_top=sky_top,
        sky_horizon=sky_horizon,
        accent=accent,
        body=body,
        ground=tuple(ground),
        water=water,
        ink=ink,
        swatches=swatches,
        night=night,
        sunset=sunset,
        winter=winter,
        named=tuple(named),
    )
