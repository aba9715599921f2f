"""Generation requests: validation against the catalog, paying for a job, cancelling it.

The flow (DESIGN.md, "The generation flow"): `validate_request` → `submit` (debit + ledger row
+ job + set, in the caller's transaction) → commit → publish "queued" → enqueue. `create_job`
does all of that in the right order for callers that just want a job started.

Elsewhere: the worker side (`run_job`) in services/studio/jobs.py, reads of sets in
services/studio/sets.py, and what both sides share about a job's state (ending it with a refund) in
job_state.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator
from sqlmodel import Session

from pixel_studio import events
from pixel_studio.catalog import (
    GUIDANCE_RANGE,
    MAX_IMAGES_PER_REQUEST,
    STEPS_RANGE,
    STYLE_PRESETS,
    STYLES,
    UnknownModelError,
    availability,
    get_model,
)
from pixel_studio.models import (
    CreditTransaction,
    GenerationJob,
    JobStatus,
)
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import blocked_terms as moderation
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.studio import backpressure
from pixel_studio.services.studio.images import get_visible_image

# get_job, job_message and ledger_mismatches are re-exported: the create page uses them here.
from pixel_studio.services.studio.job_state import (  # noqa: F401
    Publish,
    close_job,
    get_job,
    job_message,
    ledger_mismatches,
)
from pixel_studio.services.studio.job_submit import add_job_params, launch, pay  # noqa: F401
from pixel_studio.services.studio.jobs import enqueue_job
from pixel_studio.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_PROMPT = 3500
MAX_NEGATIVE_PROMPT = 1000


class RequestErrors(InvalidInput):
    """Every problem with a request at once, by field; `message`/`field` name the first."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


class GenerationRequest(BaseModel):
    """A create-form submission after validation: what a job stores in `params`."""

    model: str
    prompt: str
    negative_prompt: str | None = None
    style_preset: str = "none"
    width: int | None = None  # None: the model's default size (filled by validate_request)
    height: int | None = None
    count: int = 1
    seed: int | None = None
    guidance: float | None = None
    steps: int | None = None
    quality: str | None = None
    style: str | None = None
    private: bool = False
    parent_image_id: int | None = None

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Write a prompt.")
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

    @field_validator("style_preset")
    @classmethod
    def _preset(cls, value: str) -> str:
        if value not in STYLE_PRESETS:
            raise ValueError("Choose a style preset from the list.")
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

    @field_validator("guidance")
    @classmethod
    def _guidance(cls, value: float | None) -> float | None:
        low, high = GUIDANCE_RANGE
        if value is not None and not low <= value <= high:
            raise ValueError(f"Guidance must be between {low:g} and {high:g}.")
        return value

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: int | None) -> int | None:
        low, high = STEPS_RANGE
        if value is not None and not low <= value <= high:
            raise ValueError(f"Steps must be between {low} and {high}.")
        return value

    @field_validator("style")
    @classmethod
    def _style(cls, value: str | None) -> str | None:
        if value is not None and value not in STYLES:
            raise ValueError("The style must be vivid or natural.")
        return value


# Form fields that may arrive as "" from an empty input and then mean "not given".
_OPTIONAL = ("negative_prompt", "width", "height", "seed", "guidance", "steps", "quality", "style")
_OPTIONAL_IDS = ("parent_image_id",)


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for name in (*_OPTIONAL, *_OPTIONAL_IDS):
        if isinstance(out.get(name), str) and not out[name].strip():
            out[name] = None
    size = out.pop("size", None)  # the form's "1024x1024" select, as the catalog labels it
    if isinstance(size, str) and size.strip() and out.get("width") is None:
        width, _, height = size.lower().partition("x")
        out["width"], out["height"] = width.strip(), height.strip()
    return out


def _pydantic_message(err: Any) -> str:
    kind = str(err["type"])
    if kind == "missing":
        return "This field is required."
    if kind in ("int_parsing", "int_from_float"):
        return "Enter a whole number."
    if kind == "float_parsing":
        return "Enter a number."
    return str(err["msg"]).removeprefix("Value error, ")


def _field_of(name: str) -> str:
    return "size" if name in ("width", "height") else name


def _nul_errors(data: dict[str, Any]) -> dict[str, str]:
    """NUL characters, in any text field: PostgreSQL cannot store them in text (the insert
    fails, a 500), SQLite would keep them, and no prompt or option needs one."""
    fields = set(GenerationRequest.model_fields)
    return {
        _field_of(name): "This field contains a character that is not allowed (NUL)."
        for name, value in data.items()
        if name in fields and isinstance(value, str) and "\x00" in value
    }


def validate_request(data: dict[str, Any], settings: Settings) -> GenerationRequest:
    """Check a form submission against the catalog. Raises RequestErrors (an InvalidInput)
    carrying every problem at its field; returns the request with the model's defaults filled.
    """
    data = _normalise(data)
    errors: dict[str, str] = _nul_errors(data)
    req: GenerationRequest | None = None
    try:
        req = GenerationRequest.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = _field_of(str(err["loc"][0])) if err["loc"] else "form"
            errors.setdefault(name, _pydantic_message(err))

    try:
        spec = get_model(str(data.get("model") or ""))
    except UnknownModelError:
        errors.setdefault("model", "Choose a model from the list.")
        raise RequestErrors(errors) from None
    if not spec.supports("text"):
        # An edit-only model (an upscaler, a refiner) would otherwise make a job at price 0.
        errors["model"] = f"{spec.display_name} only edits images: it cannot draw from a prompt."
        raise RequestErrors(errors)
    ok, reason = availability(spec, settings)
    if not ok:
        errors.setdefault("model", f"{spec.display_name} is not available here. {reason}")
    # Parameters the model does not take, judged on the raw form so they are reported even
    # when another field failed to parse.
    takes = {
        "negative_prompt": spec.negative_prompt,
        "seed": spec.seed,
        "guidance": spec.guidance,
        "steps": spec.steps,
        "quality": spec.quality,
        "style": spec.style,
        "style_preset": spec.style_preset,
    }
    labels = {"negative_prompt": "a negative prompt", "style_preset": "a style preset"}
    for field, taken in takes.items():
        value = data.get(field)
        given = value not in (None, "") and not (field == "style_preset" and value == "none")
        if given and not taken:
            errors[field] = f"{spec.display_name} does not take {labels.get(field, 'a ' + field)}."
    if req is None:
        raise RequestErrors(errors)

    name = spec.display_name
    width, height = req.width, req.height
    if width is None and height is None:
        width, height = spec.default_size
    if width is None or height is None or not spec.allows_size(width, height):
        errors["size"] = f"{name} makes these sizes: {', '.join(spec.size_labels)}."
    if req.count > spec.max_images:
        errors["count"] = f"{name} makes at most {spec.max_images} images per request."
    if spec.quality and req.quality is not None and req.quality not in spec.quality_options:
        errors["quality"] = f"{name} quality is one of: {', '.join(spec.quality_options)}."
    # Blocked terms (BLOCKED_TERMS) before anything is charged or stored; the list is never
    # echoed back.
    if moderation.contains_blocked(req.prompt, settings.blocked_terms):
        errors["prompt"] = moderation.PROMPT_BLOCKED
    if moderation.contains_blocked(req.negative_prompt, settings.blocked_terms):
        errors["negative_prompt"] = moderation.PROMPT_BLOCKED
    if errors:
        raise RequestErrors(errors)
    # Record the values the model will really use, so the set and the PNG can reproduce it.
    return req.model_copy(
        update={
            "width": width,
            "height": height,
            "quality": req.quality or spec.default_quality,
            "guidance": req.guidance if req.guidance is not None else spec.default_guidance,
            "steps": req.steps if req.steps is not None else spec.default_steps,
        }
    )


def price_of(req: GenerationRequest) -> int:
    """What the request costs: the catalog's price per image × the number of images."""
    return get_model(req.model).price * req.count


def submit(
    session: Session, user_id: int, req: GenerationRequest, settings: Settings
) -> GenerationJob:
    """Debit the price and write the ledger row, the job (queued) and its empty set.

    All in the caller's transaction: the CALLER commits, and only then enqueues (a worker
    must never look for a job that is not committed yet). Nothing is written when refused.
    """
    if req.parent_image_id is not None:
        try:
            get_visible_image(session, user_id, req.parent_image_id)
        except NotFound:
            raise InvalidInput(
                "The image you are remixing is no longer available.", field="parent_image_id"
            ) from None
    spec = get_model(req.model)
    price = price_of(req)
    entry = pay(session, user_id, price, note=f"{req.count} × {spec.display_name}")
    job = add_job(session, user_id, req, price, entry)
    session.flush()
    return job


def add_job(
    session: Session,
    user_id: int,
    req: GenerationRequest,
    price: int,
    entry: CreditTransaction,
) -> GenerationJob:
    """The queued job of a paid request, its spend row pointed at it, and its empty set.
    Flushes the job (not the set); the caller commits."""
    return add_job_params(session, user_id, req.model_dump(mode="json"), req.count, price, entry)


def create_job(
    session: Session,
    user_id: int,
    data: dict[str, Any],
    settings: Settings | None = None,
    *,
    enqueue: Callable[[str], None] | None = None,
    publish: Publish | None = None,
) -> GenerationJob:
    """Validate, pay, commit, announce and enqueue: what the create page calls.

    Commits the session. Busy (nothing charged or written) when the user or the queue has
    too many jobs waiting. If the queue refuses the job, it is failed and refunded at once.
    """
    settings = settings or get_settings()
    # `is None` tests throughout: a recorder passed in may be falsy (an empty list subclass).
    if publish is None:
        publish = partial(events.publish, settings=settings)
    if enqueue is None:
        enqueue = partial(enqueue_job, settings=settings)
    req = validate_request(data, settings)
    # Before the debit: a busy refusal charges nothing and writes no row.
    backpressure.admit(session, user_id, settings)
    job = submit(session, user_id, req, settings)
    launch(session, job, enqueue=enqueue, publish=publish)
    return job


def cancel(
    session: Session, user_id: int, job_id: str, *, publish: Publish | None = None
) -> GenerationJob:
    """Cancel the user's queued or running job and refund the images not made. Commits.

    A worker in the middle of an image notices at its next write (it matches no row), deletes
    what it stored and stops, so the refund counted here stays exact.
    """
    job = get_job(session, user_id, job_id)
    closed = close_job(session, job_id, JobStatus.cancelled, user_id=user_id)
    if closed is None:
        session.rollback()
        session.refresh(job)
        raise InvalidInput(f"This job has already {job.status}.", field="job")
    session.commit()
    session.refresh(job)
    (events.publish if publish is None else publish)(closed)
    return job
