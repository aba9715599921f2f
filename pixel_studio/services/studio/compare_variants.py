"""Comparisons of one model with itself: the same prompt under 2–4 style presets, seeds or
guidances (services/studio/compare.py compares models). No Reflex, no session: validation and the
words a column is labelled with.

Each value is checked by `generation.validate_request` like a /create submission, so the rules
(a preset from the list, a seed in range, a guidance the model takes) are written once; a
problem with a varied value is reported at the "values" field, others at their own field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pixel_studio.catalog import UnknownModelError, get_model
from pixel_studio.services.studio.generation import (
    GenerationRequest,
    RequestErrors,
    validate_request,
)
from pixel_studio.settings import Settings

# What a comparison may vary; with anything but "model", one model makes every column.
Vary = Literal["model", "style_preset", "seed", "guidance"]
VARIES: tuple[Vary, ...] = ("model", "style_preset", "seed", "guidance")
MIN_VALUES, MAX_VALUES = 2, 4
# Shared by every column of a one-model comparison (the varied one is left out).
SHARED = ("prompt", "size", "count", "seed", "style_preset", "guidance", "private", "model")
NOUNS: dict[str, str] = {
    "model": "models",
    "style_preset": "style presets",
    "seed": "seeds",
    "guidance": "guidance values",
}


def variant_label(vary: Vary, value: Any) -> str:
    """A column's heading: "Anime", "Seed 42", "Guidance 7.5" (a model's id as is)."""
    if vary == "style_preset":
        text = str(value or "none")
        return "No preset" if text == "none" else text.replace("-", " ").capitalize()
    if vary == "seed":
        return "Random seed" if value is None else f"Seed {value}"
    if vary == "guidance":
        if value is None:
            return "Default guidance"
        try:
            return f"Guidance {float(value):g}"
        except (TypeError, ValueError):  # not a number: labels the message that says so
            return f"Guidance {value}"
    return str(value)


def value_of(vary: Vary, req: GenerationRequest | dict[str, Any]) -> Any:
    """The varied parameter of a request (or a set's params)."""
    if isinstance(req, dict):
        return req.get("model") if vary == "model" else req.get(vary)
    return getattr(req, vary)


def _key(vary: Vary, value: Any) -> str:
    """Values compared as the model receives them: " 7" and "7", "7.50" and "7.5" are one."""
    text = str(value).strip()
    if vary in ("seed", "guidance"):
        try:
            return f"{float(text):g}"
        except ValueError:
            return text
    return text


def validate_variants(
    data: dict[str, Any], vary: Vary, values: Sequence[str], settings: Settings
) -> list[GenerationRequest]:
    """One request per value, for the one model in `data["model"]`. RequestErrors with every
    problem at its field ("values" for the varied values)."""
    chosen = [str(v).strip() for v in values if str(v).strip()]
    noun = NOUNS.get(vary, "values")
    if vary not in VARIES or vary == "model":
        raise RequestErrors({"vary": "Choose what to compare from the list."})
    if len({_key(vary, v) for v in chosen}) != len(chosen):
        raise RequestErrors({"values": f"Choose each of the {noun} once."})
    if not MIN_VALUES <= len(chosen) <= MAX_VALUES:
        raise RequestErrors({"values": f"Choose between {MIN_VALUES} and {MAX_VALUES} {noun}."})
    try:
        get_model(str(data.get("model") or ""))
    except UnknownModelError:
        raise RequestErrors({"models": "Choose a model from the list."}) from None
    shared = {name: data[name] for name in SHARED if name in data and name != vary}
    requests: list[GenerationRequest] = []
    errors: dict[str, str] = {}
    for value in chosen:
        try:
            requests.append(validate_request({**shared, vary: value}, settings))
        except RequestErrors as exc:
            for field, message in exc.errors.items():
                field = "values" if field == vary else ("models" if field == "model" else field)
                if field == "values" and vary != "style_preset" and value not in message:
                    message = f"{variant_label(vary, value)}: {message}"
                if message not in errors.get(field, ""):
                    errors[field] = f"{errors.get(field, '')} {message}".strip()
    if errors:
        raise RequestErrors(errors)
    return requests


def infer_vary(sets: Sequence[tuple[str, dict[str, Any]]]) -> tuple[Vary, list[Any]]:
    """What a comparison's sets (model, params) differ in, and each set's value of it: the
    model if they differ in it, else the first parameter that differs."""
    if len({model for model, _ in sets}) > 1 or len(sets) < 2:
        return "model", [model for model, _ in sets]
    for vary in VARIES[1:]:
        values = [value_of(vary, params) for _, params in sets]
        if len({_key(vary, v) for v in values}) > 1:
            return vary, values
    return "model", [model for model, _ in sets]
