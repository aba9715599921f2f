"""The create form's data, without Reflex: model choices as the form shows them, the form's
values, turning them into a request for `generation.create_job`, and prefilling them from a
set (run again) or an image (remix).

Everything about a model comes from the catalog; the form only hides what a model does not
take, so the request never carries a parameter the model would refuse.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pixel_studio.catalog import (
    DEFAULT_MODEL_ID,
    GUIDANCE_RANGE,
    STEPS_RANGE,
    STYLE_PRESETS,
    ModelSpec,
    all_models,
    availability,
)
from pixel_studio.settings import Settings
from pixel_studio.state.route_params import parse_count

FIELDS = (
    "prompt",
    "negative_prompt",
    "model",
    "style_preset",
    "size",
    "count",
    "seed",
    "guidance",
    "steps",
    "quality",
    "style",
    "private",
)
NO_ERRORS: dict[str, str] = dict.fromkeys(FIELDS, "")
STYLES = ("vivid", "natural")


@dataclasses.dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclasses.dataclass(frozen=True)
class ModelOption:
    """One model as the form offers it (the page reads these fields, never the catalog)."""

    id: str
    name: str
    description: str
    price: int
    available: bool
    reason: str
    sizes: list[Choice]
    default_size: str
    max_images: int
    negative_prompt: bool
    seed: bool
    guidance: bool
    steps: bool
    quality: bool
    style: bool
    style_preset: bool
    quality_options: list[Choice]
    default_quality: str
    guidance_hint: str
    steps_hint: str
    item_label: str  # what the model list shows: the price, or why it cannot be chosen


def _shape(width: int, height: int) -> str:
    if width == height:
        return "square"
    return "landscape" if width > height else "portrait"


def size_value(width: int, height: int) -> str:
    return f"{width}x{height}"


def model_option(spec: ModelSpec, settings: Settings) -> ModelOption:
    ok, reason = availability(spec, settings)
    low_g, high_g = GUIDANCE_RANGE
    low_s, high_s = STEPS_RANGE
    return ModelOption(
        id=spec.id,
        name=spec.display_name,
        description=spec.description,
        price=spec.price,
        available=ok,
        reason=reason,
        sizes=[Choice(size_value(w, h), f"{w} × {h} · {_shape(w, h)}") for w, h in spec.sizes],
        default_size=size_value(*spec.default_size),
        max_images=spec.max_images,
        negative_prompt=spec.negative_prompt,
        seed=spec.seed,
        guidance=spec.guidance,
        steps=spec.steps,
        quality=spec.quality,
        style=spec.style,
        style_preset=spec.style_preset,
        quality_options=[
            Choice(q, q.upper() if q == "hd" else q.title()) for q in spec.quality_options
        ],
        default_quality=spec.default_quality or "",
        guidance_hint=f"{low_g:g}–{high_g:g}, default {spec.default_guidance or 0:g}",
        steps_hint=f"{low_s}–{high_s}, default {spec.default_steps or 0}",
        item_label=(
            f"{spec.display_name} · {spec.price} credit{'s' if spec.price != 1 else ''} per image"
            if ok
            else f"{spec.display_name} — {reason}"
        ),
    )


def model_options(settings: Settings) -> list[ModelOption]:
    """Available models first (catalog order), then the unavailable ones with their reason."""
    options = [model_option(spec, settings) for spec in all_models()]
    return [o for o in options if o.available] + [o for o in options if not o.available]


def default_model(options: list[ModelOption]) -> ModelOption:
    by_id = {o.id: o for o in options}
    if DEFAULT_MODEL_ID in by_id and by_id[DEFAULT_MODEL_ID].available:
        return by_id[DEFAULT_MODEL_ID]
    return next((o for o in options if o.available), options[0])


def find_model(options: list[ModelOption], model_id: str) -> ModelOption:
    return next((o for o in options if o.id == model_id), default_model(options))


def preset_choices() -> list[Choice]:
    def label(preset: str) -> str:
        if preset == "none":
            return "None"
        return preset.replace("-", " ").capitalize().replace("3d", "3D")

    return [Choice(p, label(p)) for p in STYLE_PRESETS]


@dataclasses.dataclass
class FormValues:
    """The form as the user left it: strings as the inputs hold them."""

    prompt: str = ""
    negative_prompt: str = ""
    model: str = DEFAULT_MODEL_ID
    style_preset: str = "none"
    size: str = ""
    count: str = "1"
    seed: str = ""
    guidance: str = ""
    steps: str = ""
    quality: str = ""
    style: str = "vivid"
    private: bool = False
    parent_image_id: int | None = None


def count_of(text: str) -> int:
    """The number of images the count input asks for; 1 until it holds a number."""
    return parse_count(text)


def fit_to_model(values: FormValues, option: ModelOption) -> FormValues:
    """Keep what the new model accepts, reset what it does not (size, count, quality)."""
    sizes = [s.value for s in option.sizes]
    count = count_of(values.count)
    qualities = [q.value for q in option.quality_options]
    return dataclasses.replace(
        values,
        model=option.id,
        size=values.size if values.size in sizes else option.default_size,
        count=str(min(max(count, 1), option.max_images)),
        quality=values.quality if values.quality in qualities else option.default_quality,
        style=values.style if values.style in STYLES else "vivid",
        style_preset=values.style_preset if values.style_preset in STYLE_PRESETS else "none",
    )


def request_data(values: FormValues, option: ModelOption) -> dict[str, Any]:
    """What `generation.create_job` validates: only the parameters this model takes."""
    data: dict[str, Any] = {
        "model": option.id,
        "prompt": values.prompt,
        "size": values.size,
        "count": values.count,
        "private": values.private,
        "parent_image_id": values.parent_image_id,
    }
    takes = {
        "negative_prompt": option.negative_prompt,
        "style_preset": option.style_preset,
        "seed": option.seed,
        "guidance": option.guidance,
        "steps": option.steps,
        "quality": option.quality,
        "style": option.style,
    }
    for name, taken in takes.items():
        if taken:
            data[name] = str(getattr(values, name)).strip()
    return data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def values_from_params(params: dict[str, Any], private: bool) -> FormValues:
    """A set's (or `remix_defaults`') parameters as form values."""
    width, height = params.get("width"), params.get("height")
    size = str(params.get("size") or (size_value(width, height) if width and height else ""))
    return FormValues(
        prompt=str(params.get("prompt") or ""),
        negative_prompt=_text(params.get("negative_prompt")),
        model=str(params.get("model") or DEFAULT_MODEL_ID),
        style_preset=str(params.get("style_preset") or "none"),
        size=size,
        count=str(params.get("count") or 1),
        seed=_text(params.get("seed")),
        guidance=_text(params.get("guidance")),
        steps=_text(params.get("steps")),
        quality=_text(params.get("quality")),
        style=str(params.get("style") or "vivid"),
        private=private,
        parent_image_id=params.get("parent_image_id"),
    )


def field_errors(
    errors: dict[str, str], no_errors: dict[str, str] = NO_ERRORS
) -> tuple[dict[str, str], str]:
    """Service errors by field → (errors shown at the form's fields, the form-level message).
    `no_errors` names the form's fields (/compare's differ from /create's)."""
    shown = dict(no_errors)
    other: list[str] = []
    for name, message in errors.items():
        if name in shown:
            shown[name] = message
        else:
            other.append(message)  # e.g. the remixed image vanished, or the queue refused
    return shown, " ".join(other)
