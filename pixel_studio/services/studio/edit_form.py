"""An edit request's form: the operations and their options, the pydantic model that parses
what a page or the API sends, and the plan a checked request becomes (services/studio/editing.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from pixel_studio.catalog import (
    EDIT_OPERATIONS,
    MAX_IMAGES_PER_REQUEST,
    STYLE_PRESETS,
    ModelSpec,
)
from pixel_studio.models import Image
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services.studio.generation import MAX_NEGATIVE_PROMPT, MAX_PROMPT, RequestErrors
from pixel_studio.services.studio.uploads import CheckedUpload

EditOperation = Literal["variation", "image-to-image", "inpaint", "outpaint", "upscale"]
Vary = Literal["subtle", "strong"]
Direction = Literal["all", "left", "right", "up", "down"]

# How far "Vary (subtle)" and "Vary (strong)" go from the source (EditRequest.strength).
VARY_STRENGTH: dict[str, float] = {"subtle": 0.35, "strong": 0.75}
DEFAULT_STRENGTH = 0.6  # image-to-image
ZOOMS: tuple[float, ...] = (1.5, 2.0)
FACTORS: tuple[int, ...] = (2, 4)
MAX_RESULT_SIDE = 8192  # EditRequest's bound: a bigger result is refused before charging

VERBS: dict[str, str] = {
    "variation": "make variations",
    "image-to-image": "start from an image",
    "inpaint": "inpaint",
    "outpaint": "zoom out",
    "upscale": "upscale",
}


class EditForm(BaseModel):
    """An edit request as the page or the API sends it (before the catalog checks).

    Exactly one start: `source_image_id` (an image the viewer can see) or an uploaded file
    (passed beside the form, not in it). Which fields apply:
    - variation: `vary` subtle|strong (default subtle) or an explicit `strength`; `prompt`
      optional (defaults to the source's prompt);
    - image-to-image: `prompt` required, `strength` 0..1 (default 0.6);
    - inpaint: `prompt` required, a mask beside the form;
    - outpaint: `zoom` 1.5|2 (default 1.5) and `direction` all|left|right|up|down (default all:
      every side; one side: the canvas grows by `zoom` along that axis only); `prompt`
      optional (defaults to the source's prompt; required for an upload);
    - upscale: `factor` 2|4 (default 2), count 1, no prompt.
    `count`, `seed`, `style_preset`, `negative_prompt` and `private` as on /create.
    """

    model_config = ConfigDict(extra="forbid")

    operation: EditOperation
    model: str
    source_image_id: int | None = None
    prompt: str = ""
    negative_prompt: str | None = None
    strength: float | None = None
    vary: Vary | None = None
    zoom: float | None = None
    direction: Direction | None = None
    factor: int | None = None
    count: int = 1
    seed: int | None = None
    style_preset: str = "none"
    private: bool = False

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if len(value) > MAX_PROMPT:
            raise ValueError(f"The prompt is too long ({MAX_PROMPT:,} characters at most).")
        return value

    @field_validator("negative_prompt")
    @classmethod
    def _negative(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if len(value) > MAX_NEGATIVE_PROMPT:
            raise ValueError(
                f"The negative prompt is too long ({MAX_NEGATIVE_PROMPT:,} characters at most)."
            )
        return value or None

    @field_validator("strength")
    @classmethod
    def _strength(cls, value: float | None) -> float | None:
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError("The strength must be between 0 and 1.")
        return value

    @field_validator("zoom")
    @classmethod
    def _zoom(cls, value: float | None) -> float | None:
        if value is not None and value not in ZOOMS:
            raise ValueError("Zoom out by 1.5× or 2×.")
        return value

    @field_validator("factor")
    @classmethod
    def _factor(cls, value: int | None) -> int | None:
        if value is not None and value not in FACTORS:
            raise ValueError("Upscale by 2× or 4×.")
        return value

    @field_validator("count")
    @classmethod
    def _count(cls, value: int) -> int:
        if not 1 <= value <= MAX_IMAGES_PER_REQUEST:
            raise ValueError(f"Choose between 1 and {MAX_IMAGES_PER_REQUEST} images.")
        return value

    @field_validator("seed")
    @classmethod
    def _seed(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= MAX_SEED:
            raise ValueError(f"The seed must be between 0 and {MAX_SEED:,}.")
        return value

    @field_validator("style_preset")
    @classmethod
    def _preset(cls, value: str) -> str:
        if value not in STYLE_PRESETS:
            raise ValueError("Choose a style preset from the list.")
        return value


@dataclass(frozen=True)
class EditPlan:
    """A request that passed every check: what will be charged and stored as the job's params.
    Nothing has been written yet."""

    form: EditForm
    spec: ModelSpec
    price: int  # credits for the whole job
    params: dict[str, Any]  # the job's and set's params (file keys are added when stored)
    source: Image | None  # the source image row, or None for an upload
    upload: CheckedUpload | None
    mask_png: bytes | None  # the checked 0/255 mask (inpaint)
    width: int  # of each result
    height: int


# ---------------------------------------------------------------- validation

_OPTIONAL = (
    "negative_prompt",
    "strength",
    "vary",
    "zoom",
    "direction",
    "factor",
    "seed",
    "source_image_id",
)


def normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for name in _OPTIONAL:
        if isinstance(out.get(name), str) and not out[name].strip():
            out[name] = None
    if out.get("prompt") is None:
        out["prompt"] = ""
    return out


def _pydantic_message(err: Any) -> str:
    kind = str(err["type"])
    if kind == "missing":
        return "This field is required."
    if kind in ("int_parsing", "int_from_float"):
        return "Enter a whole number."
    if kind == "float_parsing":
        return "Enter a number."
    if kind == "literal_error" and err["loc"] and err["loc"][0] == "operation":
        return f"Choose an operation: {', '.join(EDIT_OPERATIONS)}."
    if kind == "extra_forbidden":
        return "This field is not part of an edit request."
    return str(err["msg"]).removeprefix("Value error, ")


def parse_form(data: dict[str, Any], errors: dict[str, str]) -> EditForm | None:
    for name, value in data.items():
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL cannot store NUL in text: refused here rather than as a 500 later.
            errors[name] = "This field contains a character that is not allowed (NUL)."
    try:
        return EditForm.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "form"
            errors.setdefault(name, _pydantic_message(err))
        return None


class UnsupportedOperation(RequestErrors):
    """The model cannot do the operation (the catalog says so): the API answers 422."""


def outpaint_size(width: int, height: int, zoom: float, direction: str) -> tuple[int, int]:
    """The enlarged canvas for zooming out: every side grows (`all`), or one axis only."""
    grow_w = direction in ("all", "left", "right")
    grow_h = direction in ("all", "up", "down")
    return (
        round(width * zoom) if grow_w else width,
        round(height * zoom) if grow_h else height,
    )
