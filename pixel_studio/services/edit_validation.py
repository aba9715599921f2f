"""Validating an edit request: the form (pydantic), the catalog, the source, the upload and the
mask. Writes nothing; services/editing.py charges and stores only what passed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlmodel import Session

from pixel_studio.catalog import (
    EDIT_OPERATIONS,
    MAX_IMAGES_PER_REQUEST,
    STYLE_PRESETS,
    ModelSpec,
    Operation,
    UnknownModelError,
    all_models,
    availability,
    get_model,
)
from pixel_studio.models import Image
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import moderation
from pixel_studio.services.errors import InvalidInput
from pixel_studio.services.generation import MAX_NEGATIVE_PROMPT, MAX_PROMPT, RequestErrors
from pixel_studio.services.images import get_visible_image
from pixel_studio.services.uploads import CheckedUpload, check_mask, check_upload, decode_data_url
from pixel_studio.settings import Settings

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


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
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


def _parse(data: dict[str, Any], errors: dict[str, str]) -> EditForm | None:
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


def _check_operation(
    spec: ModelSpec, form: EditForm | None, data: Mapping[str, Any], settings: Settings
) -> None:
    """Model-level refusals, raised at once: nothing else matters if the model cannot do it."""
    operation = form.operation if form is not None else data.get("operation")
    if operation not in EDIT_OPERATIONS:
        return
    # "Cannot do this" first: it holds whatever the server's settings, and names who can.
    if not spec.supports(operation):
        able = [m.display_name for m in models_for(operation, settings)]
        hint = f" Models that can: {', '.join(able)}." if able else ""
        raise UnsupportedOperation(
            {"operation": f"{spec.display_name} cannot {VERBS[operation]}.{hint}"}
        )
    ok, reason = availability(spec, settings)
    if not ok:
        raise RequestErrors({"model": f"{spec.display_name} is not available here. {reason}"})


def models_for(operation: Operation, settings: Settings) -> list[ModelSpec]:
    """The models that can do `operation` here (available with these settings), in catalog
    order: what the UI offers for it."""
    return [m for m in all_models() if m.supports(operation) and availability(m, settings)[0]]


def _fields_for(form: EditForm, spec: ModelSpec, errors: dict[str, str]) -> None:
    """Fields given that the operation or model does not take: refused, not silently dropped."""
    op = form.operation
    takes = {
        "strength": op in ("variation", "image-to-image"),
        "vary": op == "variation",
        "zoom": op == "outpaint",
        "direction": op == "outpaint",
        "factor": op == "upscale",
        "negative_prompt": spec.negative_prompt and op != "upscale",
        "seed": spec.seed,
    }
    for name, taken in takes.items():
        if getattr(form, name) is not None and not taken:
            errors.setdefault(
                name, f"{VERBS[op].capitalize()} does not take a {name.replace('_', ' ')}."
            )
    if form.style_preset != "none" and (not spec.style_preset or op == "upscale"):
        errors.setdefault("style_preset", f"{spec.display_name} does not take a style preset here.")
    if op == "upscale" and form.count != 1:
        errors.setdefault("count", "Upscaling makes one image.")
    if form.count > spec.max_images:
        errors.setdefault(
            "count", f"{spec.display_name} makes at most {spec.max_images} images per request."
        )


def _source(
    session: Session,
    viewer_id: int,
    form: EditForm | None,
    data: Mapping[str, Any],
    upload: bytes | None,
    errors: dict[str, str],
) -> tuple[Image | None, CheckedUpload | None]:
    raw_id = form.source_image_id if form is not None else None
    given_id = data.get("source_image_id") not in (None, "")
    if given_id and upload is not None:
        errors["image"] = "Start from an image or from an upload, not both."
        return None, None
    if not given_id and upload is None:
        errors["image"] = "Choose an image to start from, or upload one."
        return None, None
    if raw_id is not None:
        # NotFound propagates: a private image looks exactly like a missing one.
        return get_visible_image(session, viewer_id, raw_id), None
    if upload is not None:
        try:
            return None, check_upload(upload)
        except InvalidInput as exc:
            errors["image"] = exc.message
    return None, None


def _result_size(
    form: EditForm, spec: ModelSpec, width: int, height: int, errors: dict[str, str]
) -> tuple[int, int]:
    """The size of each result, refused when it is past what the model may make (its
    max_edit_pixels: a 4x upscale of a big source would hold a worker for many minutes)."""
    if form.operation == "outpaint":
        width, height = outpaint_size(width, height, form.zoom or ZOOMS[0], form.direction or "all")
    elif form.operation == "upscale":
        factor = form.factor or FACTORS[0]
        width, height = width * factor, height * factor
    field = {"upscale": "factor", "outpaint": "zoom"}.get(form.operation, "image")
    if max(width, height) > MAX_RESULT_SIDE:
        errors.setdefault(
            field,
            f"The result would be {width}×{height} pixels; the limit is {MAX_RESULT_SIDE} "
            "pixels a side.",
        )
    elif width * height > spec.max_edit_pixels:
        errors.setdefault(
            field,
            f"The result would be {width}×{height} pixels; {spec.display_name} makes at most "
            f"{spec.max_edit_pixels / 1_000_000:.1f} million. Start from a smaller image"
            + (" or a smaller factor." if form.operation == "upscale" else "."),
        )
    return width, height


def plan_edit(
    session: Session,
    viewer_id: int,
    data: Mapping[str, Any],
    settings: Settings,
    upload: bytes | None,
    mask: bytes | str | None,
) -> EditPlan:
    """editing.validate_edit's body: see its docstring for what is refused and how."""
    data = _normalise(data)
    errors: dict[str, str] = {}
    form = _parse(data, errors)
    try:
        spec = get_model(str(data.get("model") or ""))
    except UnknownModelError:
        errors.setdefault("model", "Choose a model from the list.")
        raise RequestErrors(errors) from None
    _check_operation(spec, form, data, settings)
    source, checked = _source(session, viewer_id, form, data, upload, errors)
    if form is None:
        raise RequestErrors(errors)
    _fields_for(form, spec, errors)
    op = form.operation
    if source is not None:
        src_w, src_h, src_prompt = source.width, source.height, source.prompt
    elif checked is not None:
        src_w, src_h, src_prompt = checked.width, checked.height, ""
    else:
        raise RequestErrors(errors)
    prompt = form.prompt
    if op in ("image-to-image", "inpaint") and not prompt:
        errors.setdefault(
            "prompt",
            "Describe what to paint in the marked area." if op == "inpaint" else "Write a prompt.",
        )
    if op in ("variation", "outpaint") and not prompt:
        prompt = src_prompt
        if op == "outpaint" and not prompt:
            errors.setdefault("prompt", "Describe the scene to continue into the new border.")
    if op == "upscale":
        prompt = src_prompt  # kept for the record; an upscaler takes no prompt
    if moderation.contains_blocked(form.prompt, settings.blocked_terms):
        errors["prompt"] = moderation.PROMPT_BLOCKED
    if moderation.contains_blocked(form.negative_prompt, settings.blocked_terms):
        errors["negative_prompt"] = moderation.PROMPT_BLOCKED
    mask_png: bytes | None = None
    if op == "inpaint":
        if mask is None:
            errors.setdefault("mask", "Paint the area to change first: the mask is empty.")
        else:
            try:
                raw = decode_data_url(mask) if isinstance(mask, str) else mask
                mask_png = check_mask(raw, src_w, src_h)
            except InvalidInput as exc:
                errors.setdefault("mask", exc.message)
    elif mask is not None:
        errors.setdefault("mask", "Only inpainting takes a mask.")
    width, height = _result_size(form, spec, src_w, src_h, errors)
    if errors:
        raise RequestErrors(errors)
    strength = form.strength
    if op == "variation" and strength is None:
        strength = VARY_STRENGTH[form.vary or "subtle"]
    if op == "image-to-image" and strength is None:
        strength = DEFAULT_STRENGTH
    edit: dict[str, Any] = {
        "source": "image" if source is not None else "upload",
        "strength": strength,
        "vary": (form.vary or "subtle") if op == "variation" else None,
        "zoom": (form.zoom or ZOOMS[0]) if op == "outpaint" else None,
        "direction": (form.direction or "all") if op == "outpaint" else None,
        "factor": (form.factor or FACTORS[0]) if op == "upscale" else None,
        "source_width": src_w,
        "source_height": src_h,
    }
    params: dict[str, Any] = {
        "operation": op,
        "model": spec.id,
        "prompt": prompt,
        "negative_prompt": form.negative_prompt,
        "style_preset": form.style_preset,
        "count": form.count,
        "seed": form.seed,
        "private": form.private,
        "width": width,
        "height": height,
        # The worker's lineage column: jobs._live_parent reads this key for remixes too.
        "parent_image_id": source.id if source is not None else None,
        "edit": edit,
    }
    price = spec.price_of(op) * form.count
    return EditPlan(form, spec, price, params, source, checked, mask_png, width, height)
