"""Seconds per image of the local sketch provider, beside the floor measured in the same run.

Floor: Pillow encoding a blank PNG of the same size at the same zlib level, i.e. the cheapest
possible "image provider" that still hands back a PNG. Also shown: encoding the sketch's own
pixels, to tell drawing time from compression time (noise and grain compress worse than flat
colour). Median of N runs over a rotating set of prompts and style presets.

    .venv/bin/python bench/local_sketch.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixel_studio.providers.sketch import render_sketch  # noqa: E402

SIZES = [(512, 512), (768, 512), (1024, 1024)]
CASES = [
    ("crimson mountains at sunset", "none"),
    ("teal sea at night with the moon", "photographic"),
    ("golden forest", "fantasy-art"),
    ("neon city skyline at night", "neon-punk"),
    ("portrait of a woman, purple", "anime"),
    ("abstract shapes", "comic-book"),
    ("a planet in space", "digital-art"),
    ("desert dunes", "cinematic"),
]


def median_seconds(fn: Callable[[int], object], runs: int) -> float:
    fn(0)  # warm-up: first-call imports and allocations are not what we measure
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)  # the level render_sketch uses
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=16)
    args = parser.parse_args()

    print(f"local-sketch: median of {args.runs} runs, seconds per image")
    header = f"{'size':>10} {'sketch':>9} {'encode own':>11} {'floor':>9} {'x floor':>8}"
    print(header)
    print("-" * len(header))
    for w, h in SIZES:

        def sketch(i: int, w: int = w, h: int = h) -> bytes:
            prompt, preset = CASES[i % len(CASES)]
            return render_sketch(prompt, 1000 + i, w, h, preset)

        own = Image.open(io.BytesIO(sketch(0)))
        own.load()
        blank = Image.new("RGB", (w, h), (40, 40, 40))

        def encode_own(_i: int, img: Image.Image = own) -> bytes:
            return encode(img)

        def encode_blank(_i: int, img: Image.Image = blank) -> bytes:
            return encode(img)

        t_sketch = median_seconds(sketch, args.runs)
        t_own = median_seconds(encode_own, args.runs)
        t_floor = median_seconds(encode_blank, args.runs)
        print(
            f"{w:>4}x{h:<5} {t_sketch:>9.4f} {t_own:>11.4f} {t_floor:>9.4f} "
            f"{t_sketch / t_floor:>7.0f}x"
        )


if __name__ == "__main__":
    main()
