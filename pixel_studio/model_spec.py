"""What an image model is: its spec (price, sizes, parameters, the edits it makes) and the
ranges and operations every model shares. The catalog (catalog.py) lists the models; this
module defines the words it lists them in. It imports nothing from Reflex or the database.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# A model's `provider` names a provider plugin: the built-in ones (providers/builtin.py) or an
# installed plugin's (pixel_studio/plugins/api.py), so it is any slug, not a closed list.
ProviderKind = str
Size = tuple[int, int]

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
