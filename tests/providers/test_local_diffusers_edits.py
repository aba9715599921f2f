"""Local diffusers edits on the tiny random-weight pipeline (see test_local_diffusers.py).

The pictures are noise, but the pipelines are the real ones: image-to-image and inpainting
built from the loaded pipeline with from_pipe. Tolerance for kept pixels: exact.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from pixel_studio.providers.base import EditRequest
from pixel_studio.providers.local_diffusers import (
    LocalDiffusersProvider,
    derived_pipeline,
    load_pipeline,
)
from tests.providers.test_local_diffusers import diffusers_stack


def png_of(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as img:
        return np.asarray(img.convert("RGB"), np.int16)


SOURCE = Image.new("RGB", (200, 136), (30, 140, 200))
ImageDraw.Draw(SOURCE).rectangle((20, 20, 120, 100), fill=(250, 210, 30))


def edit(model_dir: Path, **kw: Any) -> tuple[Any, list[tuple[int, int]]]:
    values: dict[str, Any] = {
        "model_id": "local-diffusers",
        "prompt": "a red fox",
        "source_png": png_of(SOURCE),
        "width": 200,
        "height": 136,
        "steps": 10,
        "seed": 4,
    }
    steps: list[tuple[int, int]] = []
    result = LocalDiffusersProvider(str(model_dir)).edit(
        EditRequest(**(values | kw)), on_step=lambda s, t: steps.append((s, t))
    )
    wanted = values | kw
    with Image.open(io.BytesIO(result.png)) as img:
        assert img.size == (result.width, result.height) == (wanted["width"], wanted["height"])
    return result, steps


def test_pipelines_are_built_from_the_loaded_one(model_dir: Path) -> None:
    diffusers_stack()
    base, _ = load_pipeline(str(model_dir))
    img2img = derived_pipeline(base, "image-to-image")
    inpaint = derived_pipeline(base, "inpaint")
    assert "Img2Img" in type(img2img).__name__ and "Inpaint" in type(inpaint).__name__
    for derived in (img2img, inpaint):
        # The very same module objects: no second copy of the weights.
        assert derived.unet is base.unet
        assert derived.vae is base.vae
        assert derived.text_encoder is base.text_encoder
    assert derived_pipeline(base, "image-to-image") is img2img  # built once


def test_image_to_image_size_progress_and_determinism(model_dir: Path) -> None:
    diffusers_stack()
    a, steps = edit(model_dir, operation="image-to-image", strength=0.5)
    assert (a.width, a.height) == (200, 136)
    assert steps == [(i, 5) for i in range(1, 6)]  # strength 0.5 of 10 steps
    assert a.metadata["operation"] == "image-to-image" and a.metadata["strength"] == 0.5
    b, _ = edit(model_dir, operation="image-to-image", strength=0.5)
    c, _ = edit(model_dir, operation="image-to-image", strength=0.5, seed=5)
    assert a.png == b.png and a.png != c.png


def test_variation_with_a_small_strength_still_runs_a_step(model_dir: Path) -> None:
    diffusers_stack()
    result, steps = edit(model_dir, operation="variation", prompt="", strength=0.01)
    assert steps == [(1, 1)] and result.metadata["strength"] == 0.1


def test_inpaint_keeps_every_pixel_outside_the_mask(model_dir: Path) -> None:
    diffusers_stack()
    mask = Image.new("L", (200, 136), 0)
    ImageDraw.Draw(mask).ellipse((60, 30, 170, 110), fill=255)
    result, steps = edit(model_dir, operation="inpaint", mask_png=png_of(mask))
    assert steps == [(i, 10) for i in range(1, 11)]
    out, src = pixels(result.png), pixels(png_of(SOURCE))
    keep = np.asarray(mask) == 0
    assert np.array_equal(out[keep], src[keep])  # exact
    assert np.abs(out[~keep] - src[~keep]).mean() > 10  # the painted region was redrawn


def test_outpaint_goes_through_the_inpainting_pipeline(model_dir: Path) -> None:
    diffusers_stack()
    canvas = Image.new("RGB", (256, 136), (128, 128, 128))
    canvas.paste(SOURCE, (28, 0))
    mask = Image.new("L", (256, 136), 255)
    mask.paste(0, (28, 0, 228, 136))
    result, _ = edit(
        model_dir, operation="outpaint", source_png=png_of(canvas), mask_png=png_of(mask),
        width=256, height=136,
    )  # fmt: skip
    out = pixels(result.png)
    assert np.array_equal(out[:, 28:228], pixels(png_of(SOURCE)))
    assert result.metadata["operation"] == "outpaint"
