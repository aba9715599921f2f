"""Seconds per edit for the local models, beside the floor measured in the same run.

Floor: Pillow encoding the same picture as PNG at the level the providers use (level 1), i.e.
the least any edit that hands back a PNG of that size must cost.
Rows:
- local-sketch: vary, image-to-image, inpaint (a disc over a fifth of the frame), outpaint (the
  kept picture is the middle two thirds), upscale 2x / 4x to the size (a resampler); median of
  N runs;
- real-esrgan (4x realesrgan-x4plus, 2x realesr-animevideov3-x2) beside a Lanczos resize of the
  same source to the same size: one run each (a 512² -> 2048² pass is minutes), with the CPU
  seconds the child process used, since wall time on a shared machine mostly measures the
  neighbours.

    .venv/bin/python bench/editing.py [--runs N] [--skip-esrgan] [--skip-sketch] [--append]

--append adds the printed tables to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pixel_studio.providers.base import EditRequest  # noqa: E402
from pixel_studio.providers.local_sketch import LocalSketchProvider  # noqa: E402
from pixel_studio.providers.local_upscaler import run_child  # noqa: E402
from pixel_studio.providers.sketch import render_sketch  # noqa: E402

PROMPT = "golden forest by a lake at sunset"
SIZES = (512, 1024)


def png_of(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def median_seconds(fn: Callable[[int], object], runs: int) -> float:
    fn(0)  # warm-up: first-call imports and allocations are not what we measure
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sketch_rows(runs: int) -> list[str]:
    provider = LocalSketchProvider()
    lines = [
        f"local-sketch: median of {runs} runs, seconds per image",
        f"{'operation':<22} {'512²':>8} {'1024²':>8}",
    ]
    cells: dict[str, list[str]] = {}
    for n in SIZES:
        source = render_sketch(PROMPT, 1, n, n)
        src_img = Image.open(io.BytesIO(source))
        src_img.load()
        mask = Image.new("L", (n, n), 0)
        ImageDraw.Draw(mask).ellipse((n // 4, n // 8, n * 3 // 4, n // 2), fill=255)
        kept = n * 2 // 3
        canvas = Image.new("RGB", (n, n), (128, 128, 128))
        canvas.paste(src_img.resize((kept, kept)), ((n - kept) // 2, (n - kept) // 2))
        border = Image.new("L", (n, n), 255)
        border.paste(0, ((n - kept) // 2, (n - kept) // 2, (n + kept) // 2, (n + kept) // 2))
        half, quarter = (png_of(src_img.resize((n // f, n // f))) for f in (2, 4))
        cases: dict[str, dict[str, object]] = {
            "vary (strength 0.3)": {"operation": "variation", "strength": 0.3},
            "image-to-image (0.6)": {
                "operation": "image-to-image", "strength": 0.6, "prompt": "teal city at night",
            },
            "inpaint": {"operation": "inpaint", "mask_png": png_of(mask), "prompt": "a moon"},
            "outpaint (2/3 kept)": {
                "operation": "outpaint", "source_png": png_of(canvas),
                "mask_png": png_of(border), "prompt": PROMPT,
            },
            "upscale 2x (resampler)": {"operation": "upscale", "factor": 2, "source_png": half},
            "upscale 4x (resampler)": {
                "operation": "upscale", "factor": 4, "source_png": quarter,
            },
        }  # fmt: skip
        for label, extra in cases.items():
            values = {"model_id": "local-sketch", "source_png": source, "width": n, "height": n}
            request = EditRequest(**(values | extra))  # type: ignore[arg-type]

            def run(i: int, request: EditRequest = request) -> object:
                return provider.edit(request.model_copy(update={"seed": 100 + i}))

            cells.setdefault(label, []).append(f"{median_seconds(run, runs):>8.3f}")

        def floor(_i: int, img: Image.Image = src_img) -> bytes:
            return png_of(img)

        cells.setdefault("floor: PNG encode", []).append(f"{median_seconds(floor, runs):>8.4f}")
    lines += [f"{label:<22} {' '.join(vals)}" for label, vals in cells.items()]
    return lines


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def esrgan_rows(runs: int) -> list[str]:
    lines = [
        "real-esrgan: one run each (wall s, and the child's CPU s), beside Lanczos (median)",
        f"{'pass':<22} {'esrgan s':>9} {'cpu s':>7} {'tiles':>6} {'lanczos s':>10}",
    ]
    passes = [(4, 128), (4, 256), (4, 512), (2, 256), (2, 512), (2, 1024)]
    for factor, n in passes:
        source = Image.open(io.BytesIO(render_sketch(PROMPT, 1, n, n)))
        source.load()
        data = png_of(source)
        tiles: list[int] = []
        cpu0 = _child_cpu()
        start = time.perf_counter()
        run_child(data, factor, lambda _done, total, seen=tiles: seen.append(total), 1800.0)
        wall = time.perf_counter() - start
        cpu = _child_cpu() - cpu0
        big = (n * factor, n * factor)

        def lanczos(_i: int, img: Image.Image = source, size: tuple[int, int] = big) -> object:
            return img.resize(size, Image.Resampling.LANCZOS)

        t_l = median_seconds(lanczos, runs)
        label = f"{factor}x {n}² -> {n * factor}²"
        lines.append(
            f"{label:<22} {wall:>9.2f} {cpu:>7.2f} {tiles[-1] if tiles else 0:>6} {t_l:>10.4f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-esrgan", action="store_true")
    parser.add_argument("--skip-sketch", action="store_true")
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    out = [f"load average at start: {load:.1f} on {os.cpu_count()} cores", ""]
    if not args.skip_sketch:
        out += sketch_rows(args.runs)
    print("\n".join(out), flush=True)
    if not args.skip_esrgan:
        rows = esrgan_rows(args.runs)
        print("\n" + "\n".join(rows), flush=True)
        out += [""] + rows
    out.append(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    print(out[-1].strip())
    if args.append:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write(f"\n### bench/editing.py, {stamp}\n\n```\n" + "\n".join(out) + "\n```\n")


if __name__ == "__main__":
    main()
