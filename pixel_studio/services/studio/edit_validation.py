"""Validating an edit request against the catalog, the source image or upload, and the mask
(the form itself is parsed in edit_form.py). Writes nothing; services/studio/editing.py charges
and stores only what passed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from pixel_studio.catalog import (
    EDIT_OPERATIONS,
    ModelSpec,
    Operation,
    UnknownModelError,
    all_models,
    availability,
    get_model,
)
from pixel_studio.models import Image
from pixel_studio.services import blocked_terms as moderation
from pixel_studio.services.errors import InvalidInput
from pixel_studio.services.studio.edit_form import (
    DEFAULT_STRENGTH,
    FACTORS,
    MAX_RESULT_SIDE,
    VARY_STRENGTH,
    VERBS,
    ZOOMS,
    EditForm,
    EditPlan,
    UnsupportedOperation,
    normalise,
    outpaint_size,
    parse_form,
)
from pixel_studio.services.studio.generation import RequestErrors
from pixel_studio.services.studio.images import get_visible_image
from pixel_studio.services.studio.uploads import (
    CheckedUpload,
    check_mask,
    check_upload,
    decode_data_url,
)
from pixel_studio.settings import Settings


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
    data = normalise(data)
    errors: dict[str, str] = {}
    form = parse_form(data, errors)
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
