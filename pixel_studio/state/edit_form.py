"""The edit form's data, without Reflex: which edits the page offers, with which models, what
they cost, and the request `editing.create_edit_job` validates.

Everything about a model comes from the catalog (`editing.models_for`, `editing.edit_price`):
an action is offered only when an available model can do it, and the form offers only those
models. The service checks everything again; nothing here is a rule of its own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pixel_studio.catalog import Operation
from pixel_studio.services.studio import editing
from pixel_studio.settings import Settings
from pixel_studio.state.create_form import Choice, count_of

# The fields of the edit form, each with its error ("" when fine).
FIELDS = (
    "image",
    "operation",
    "model",
    "prompt",
    "negative_prompt",
    "strength",
    "vary",
    "zoom",
    "direction",
    "factor",
    "count",
    "seed",
    "style_preset",
    "mask",
    "private",
)
NO_ERRORS: dict[str, str] = dict.fromkeys(FIELDS, "")
# The image page's forms, in the order it shows them; image-to-image has its own page, which
# "Use as start image" links to (OFFERED: what the page may show).
PAGE_OPERATIONS: tuple[Operation, ...] = ("variation", "inpaint", "outpaint", "upscale")
OFFERED: tuple[Operation, ...] = ("variation", "image-to-image", "inpaint", "outpaint", "upscale")
TITLES: dict[str, str] = {
    "variation": "Vary",
    "image-to-image": "Image to image",
    "inpaint": "Inpaint",
    "outpaint": "Zoom out",
    "upscale": "Upscale",
}
# The form's submit button: words of its own, not the action button's (two buttons of one name).
SUBMIT_LABELS: dict[str, str] = {
    "variation": "Make the variation",
    "image-to-image": "Make the image",
    "inpaint": "Repaint the area",
    "outpaint": "Extend the picture",
    "upscale": "Make it larger",
}
ZOOM_CHOICES = [Choice("1.5", "1.5×"), Choice("2", "2×")]
DIRECTION_CHOICES = [
    Choice("all", "Every side"),
    Choice("left", "Left only"),
    Choice("right", "Right only"),
    Choice("up", "Top only"),
    Choice("down", "Bottom only"),
]
FACTOR_CHOICES = [Choice("2", "2×"), Choice("4", "4×")]


@dataclasses.dataclass(frozen=True)
class EditModel:
    """A model the form offers for one operation, with its price per image."""

    id: str
    label: str
    price: int
    max_images: int
    style_preset: bool


def edit_models(operation: Operation, settings: Settings) -> list[EditModel]:
    return [
        EditModel(
            id=m.id,
            label=f"{m.display_name} · {p} credit{'s' if p != 1 else ''} per image",
            price=p,
            max_images=1 if operation == "upscale" else m.max_images,
            style_preset=m.style_preset and operation != "upscale",
        )
        for m in editing.models_for(operation, settings)
        for p in [m.price_of(operation)]
    ]


def offered(settings: Settings, operations: tuple[Operation, ...] = OFFERED) -> list[str]:
    """The operations some available model can do here: the actions to show."""
    return [op for op in operations if editing.models_for(op, settings)]


# The fields each form shows a control (and its error) for; the others' errors are said above.
IMAGE_PAGE_FIELDS = frozenset(
    {"model", "prompt", "vary", "zoom", "direction", "factor", "count", "mask"}
)
START_PAGE_FIELDS = frozenset({"image", "model", "prompt", "strength", "count"})


def unshown(errors: dict[str, str], shown: frozenset[str]) -> str:
    """The errors of fields the form has no control for, as one sentence for its top."""
    return " ".join(m for name, m in errors.items() if m and name not in shown)


def pick_model(models: list[EditModel], preferred: str) -> str:
    """The image's own model when it can do the operation, else the first that can."""
    ids = [m.id for m in models]
    return preferred if preferred in ids else (ids[0] if ids else "")


def cost_of(models: list[EditModel], model_id: str, count: str) -> int:
    model = next((m for m in models if m.id == model_id), None)
    return model.price * count_of(count) if model else 0


@dataclasses.dataclass
class EditValues:
    """The form as the user left it: strings as the inputs hold them."""

    operation: str
    model: str
    source_image_id: int | None = None
    prompt: str = ""
    vary: str = "subtle"
    strength: str = "0.6"
    zoom: str = "1.5"
    direction: str = "all"
    factor: str = "2"
    count: str = "1"
    private: bool = False


def request_data(values: EditValues) -> dict[str, Any]:
    """What `editing.validate_edit` reads: only the fields the operation takes."""
    op = values.operation
    data: dict[str, Any] = {
        "operation": op,
        "model": values.model,
        "count": "1" if op == "upscale" else values.count,
        "private": values.private,
    }
    if values.source_image_id is not None:
        data["source_image_id"] = values.source_image_id
    if op in ("image-to-image", "inpaint", "outpaint", "variation") and values.prompt.strip():
        data["prompt"] = values.prompt
    if op == "variation":
        data["vary"] = values.vary
    if op == "image-to-image":
        data["strength"] = values.strength
    if op == "outpaint":
        data["zoom"], data["direction"] = values.zoom, values.direction
    if op == "upscale":
        data["factor"] = values.factor
    return data


def result_size(operation: str, width: int, height: int, values: EditValues) -> str:
    """The size the result will have, said beside the button ("1024 × 1024")."""
    if operation == "outpaint":
        try:
            zoom = float(values.zoom)
        except ValueError:
            return ""
        w, h = editing.outpaint_size(width, height, zoom, values.direction)
    elif operation == "upscale":
        factor = int(values.factor) if values.factor.isdigit() else 2
        w, h = width * factor, height * factor
    else:
        w, h = width, height
    return f"{w} × {h}" if w and h else ""
