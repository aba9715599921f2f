"""The upload path's time for a ~20 MB start image, beside floors measured in the same run.

What is timed (median of N runs, seconds):
- `check_upload`: services/studio/uploads.check_upload, the whole validation a start image goes
  through before an edit is charged (size, header, mode/bit depth/frames, full decode to catch
  truncation, EXIF orientation); the file is then stored as it came;
- `worker read`: what the worker pays later for the same file (edit_jobs: decode upright,
  encode the PNG a provider takes), off the request path;
- floors on the same bytes: reading the file from disk; Pillow `open` + `verify` (what a bare
  "is this an image" check costs); Pillow `open` + `load` (a full decode, which any check that
  honours EXIF orientation and catches truncation must pay);
- refusals that must stay cheap: a 20 MP claim in a few KB (refused on the header) and a file
  over 20 MB (refused on its length).

Files: a noise PNG and a noise JPEG (quality 97), each just under 20 MB and 16 MP (noise is
the worst case: it does not compress).

    .venv/bin/python bench/upload.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixel_studio.services.errors import InvalidInput  # noqa: E402
from pixel_studio.services.studio.uploads import (  # noqa: E402
    MAX_UPLOAD_BYTES,
    check_upload,
    open_upright,
)


def worker_read(data: bytes) -> bytes:
    out = io.BytesIO()
    open_upright(data).save(out, format="PNG", compress_level=1)  # as edit_jobs._as_png
    return out.getvalue()


def median_seconds(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def noise(width: int, height: int) -> Image.Image:
    return Image.frombytes("RGB", (width, height), __import__("os").urandom(width * height * 3))


def largest_under_limit(fmt: str, **options: object) -> tuple[bytes, tuple[int, int]]:
    """A noise image in `fmt` as large as fits under the 20 MB limit (and 16 MP)."""
    side = 4000
    while True:
        img = noise(side, side)
        out = io.BytesIO()
        img.save(out, format=fmt, **options)
        data = out.getvalue()
        if len(data) <= MAX_UPLOAD_BYTES:
            return data, img.size
        side = int(side * (MAX_UPLOAD_BYTES / len(data)) ** 0.5 * 0.995)


def pillow_verify(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        img.verify()


def pillow_load(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        img.load()


def refused(data: bytes) -> None:
    try:
        check_upload(data)
    except InvalidInput:
        return
    raise AssertionError("expected a refusal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = [
        ("PNG", *largest_under_limit("PNG", compress_level=6)),
        ("JPEG", *largest_under_limit("JPEG", quality=97)),
    ]
    bomb = io.BytesIO()
    Image.new("L", (5000, 4000)).save(bomb, format="PNG")
    over = cases[0][1][:64] + b"\0" * (MAX_UPLOAD_BYTES + 1)

    print(f"median of {args.runs} runs, seconds")
    header = ("file", "MB", "size", "read", "verify", "load", "check_upload", "x load", "worker")
    print("{:>5} {:>6} {:>11} {:>8} {:>8} {:>8} {:>13} {:>7} {:>8}".format(*header))
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, (w, h) in cases:
            path = Path(tmp) / f"upload.{name.lower()}"
            path.write_bytes(data)
            read = median_seconds(path.read_bytes, args.runs)
            verify = median_seconds(lambda d=data: pillow_verify(d), args.runs)
            load = median_seconds(lambda d=data: pillow_load(d), args.runs)
            check = median_seconds(lambda p=path: check_upload(p.read_bytes()), args.runs)
            worker = median_seconds(lambda d=data: worker_read(d), args.runs)
            print(
                f"{name:>5} {len(data) / 2**20:6.1f} {f'{w}x{h}':>11} {read:8.4f} {verify:8.4f}"
                f" {load:8.4f} {check:13.4f} {check / load:6.1f}x {worker:8.3f}"
            )
    small = bomb.getvalue()
    t_bomb = median_seconds(lambda: refused(small), args.runs)
    t_over = median_seconds(lambda: refused(over), args.runs)
    print(f"refused on the header: 20 MP claim in {len(small) / 1024:.0f} KB: {t_bomb:.6f} s")
    print(f"refused on the length: {len(over) / 2**20:.1f} MB file: {t_over:.6f} s")


if __name__ == "__main__":
    main()
