from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pixel_studio.catalog import STYLE_PRESETS, get_model
from pixel_studio.providers.base import PNG_SIGNATURE, ImageRequest
from pixel_studio.providers.errors import InvalidRequest
from pixel_studio.providers.local_sketch import LocalSketchProvider
from pixel_studio.providers.sketch import choose_scene, prompt_words, render_sketch


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG"
        return np.asarray(img.convert("RGB"), dtype=np.float32)


def test_same_inputs_give_identical_bytes() -> None:
    a = render_sketch("crimson mountains at sunset", 7, 512, 512, "cinematic")
    b = render_sketch("crimson mountains at sunset", 7, 512, 512, "cinematic")
    assert a == b


def test_a_new_seed_gives_a_new_picture() -> None:
    a = pixels(render_sketch("a lake in the forest", 1, 256, 256))
    b = pixels(render_sketch("a lake in the forest", 2, 256, 256))
    assert np.abs(a - b).mean() > 5.0  # not just grain: a different composition


def test_prompt_normalisation_does_not_change_the_picture() -> None:
    # Case and punctuation do not matter: the words do.
    a = render_sketch("Teal sea, at night!", 3, 256, 256)
    b = render_sketch("teal sea at night", 3, 256, 256)
    assert a == b


@pytest.mark.parametrize("scene", ["mountains", "sea", "forest", "city", "abstract", "portrait"])
def test_colour_words_set_the_palette(scene: str) -> None:
    for seed in (1, 2, 3):
        red = pixels(render_sketch(f"crimson {scene}", seed, 256, 256))
        teal = pixels(render_sketch(f"teal {scene}", seed, 256, 256))
        # Crimson leans red over blue and green; teal leans green and blue over red.
        red_bias = (red[..., 0] - (red[..., 1] + red[..., 2]) / 2).mean()
        teal_bias = (teal[..., 0] - (teal[..., 1] + teal[..., 2]) / 2).mean()
        assert red_bias > teal_bias + 20, (scene, seed, red_bias, teal_bias)


def test_night_is_darker_than_day() -> None:
    for seed in (1, 2, 3):
        night = pixels(render_sketch("mountains at night", seed, 256, 256)).mean()
        day = pixels(render_sketch("mountains at noon", seed, 256, 256)).mean()
        assert night < day - 20


def test_scene_words_pick_the_composition() -> None:
    rng = np.random.default_rng(0)
    assert choose_scene(prompt_words("Portrait of an old sailor by the sea"), rng)[0] == "portrait"
    assert choose_scene(prompt_words("a planet in deep space"), rng)[0] == "space"
    assert choose_scene(prompt_words("abstract shapes"), rng)[0] == "abstract"
    scene, terrains = choose_scene(prompt_words("city by the ocean under mountains"), rng)
    assert scene == "landscape" and terrains == ["mountain", "city", "sea"]


@pytest.mark.parametrize("size", get_model("local-sketch").sizes)
def test_every_allowed_size_is_exact_png(size: tuple[int, int]) -> None:
    png = render_sketch("golden desert dunes", 5, *size)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == size and img.mode == "RGB"


@pytest.mark.parametrize("preset", STYLE_PRESETS)
def test_every_style_preset_renders_and_differs(preset: str) -> None:
    base = pixels(render_sketch("purple city skyline at night", 4, 256, 256, "none"))
    styled = pixels(render_sketch("purple city skyline at night", 4, 256, 256, preset))
    assert styled.shape == (256, 256, 3)
    assert styled.std() > 5  # not blank
    if preset != "none":
        assert np.abs(styled - base).mean() > 2.0


def test_pixel_words_pixelate() -> None:
    img = pixels(render_sketch("pixel art castle on a hill", 1, 512, 512))
    # Pixel art is made of 8×8 blocks: every row of a block repeats the block's first row.
    assert np.array_equal(img[0::8], img[1::8])


def test_provider_returns_the_seed_it_used_and_reports_progress() -> None:
    provider = LocalSketchProvider()
    steps: list[tuple[int, int]] = []
    req = ImageRequest(model_id="local-sketch", prompt="moon over the sea", width=768, height=512)
    first = provider.generate(req, on_step=lambda s, t: steps.append((s, t)))
    assert steps == [(1, 1)]
    assert first.seed is not None and (first.width, first.height) == (768, 512)
    again = provider.generate(req.model_copy(update={"seed": first.seed}))
    assert again.png == first.png  # the recorded seed remakes the picture
    assert first.metadata["style_preset"] == "none"


def test_provider_rejects_what_the_model_cannot_do() -> None:
    provider = LocalSketchProvider()
    with pytest.raises(InvalidRequest, match="300x300"):
        provider.generate(ImageRequest(model_id="local-sketch", prompt="x", width=300, height=300))
    with pytest.raises(InvalidRequest, match="preset"):
        provider.generate(
            ImageRequest(
                model_id="local-sketch", prompt="x", width=256, height=256, style_preset="sepia"
            )
        )
