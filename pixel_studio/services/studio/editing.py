"""Editing images: vary, image-to-image, inpaint, zoom out (outpaint) and upscale as paid jobs.

An edit is a job like any other (DESIGN.md, "The generation flow"): validated before anything
is written, charged once at the catalog's price for the operation (ModelSpec.price_of), queued
on the same queue, ledger and live-event path as text generation (job_submit.pay /
add_job_params / launch), cancelled with generation.cancel and refunded by the same close_job
(job_state.py). What differs:

- the request starts from pixels: an image the viewer can see (`source_image_id`; NotFound when
  they cannot, nothing charged) or an uploaded file (services/studio/uploads.check_upload);
- inpaint takes a painted mask (uploads.check_mask); outpaint's mask and enlarged canvas are
  built by the worker (services/studio/edit_jobs.py), which also re-checks the source before each
  image;
- the uploaded start image and the mask are stored (private, under the job's set) only after
  every check passed and the credits were taken, and removed again if anything then fails.

Public API (the image page, the image-to-image page, the REST API):
    validate_edit, create_edit_job (= validate_edit + submit_edit), edit_price, models_for,
    describe_edit, lineage / source_of / derived_from (services/studio/lineage.py),
    check_upload / check_mask / decode_data_url / read_capped (services/studio/uploads.py), cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from uuid import uuid4

from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.catalog import ModelSpec, Operation, get_model
from pixel_studio.models import GenerationJob, ImageSet
from pixel_studio.services.studio import backpressure, edit_validation, generation
from pixel_studio.services.studio.edit_form import (  # noqa: F401 - re-exported for callers
    DEFAULT_STRENGTH,
    FACTORS,
    MAX_RESULT_SIDE,
    VARY_STRENGTH,
    VERBS,
    ZOOMS,
    Direction,
    EditForm,
    EditOperation,
    EditPlan,
    UnsupportedOperation,
    Vary,
    outpaint_size,
)
from pixel_studio.services.studio.edit_validation import plan_edit
from pixel_studio.services.studio.generation import (  # noqa: F401 - cancel is part of this API
    MAX_NEGATIVE_PROMPT,
    MAX_PROMPT,
    RequestErrors,
    cancel,
)
from pixel_studio.services.studio.job_state import Publish
from pixel_studio.services.studio.job_submit import add_job_params, launch, pay
from pixel_studio.services.studio.lineage import (  # noqa: F401 - re-exported for callers
    Lineage,
    derived_from,
    lineage,
    source_of,
)
from pixel_studio.services.studio.uploads import (  # noqa: F401 - re-exported for callers
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_PIXELS,
    CheckedUpload,
    check_mask,
    check_upload,
    decode_data_url,
    read_capped,
)
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import Storage, get_storage
from pixel_studio.storage.base import PRIVATE_PREFIX

log = logging.getLogger(__name__)


def edit_price(model_id: str, operation: Operation, count: int = 1) -> int:
    """Credits for `count` images of `operation` on the model; ValueError if it cannot."""
    return get_model(model_id).price_of(operation) * count


def models_for(operation: Operation, settings: Settings | None = None) -> list[ModelSpec]:
    """The models that can do `operation` here (available with these settings), in catalog
    order: what the UI offers for it."""
    return edit_validation.models_for(operation, settings or get_settings())


def describe_edit(operation: str, params: Mapping[str, Any]) -> str:
    """A short label for how an image was made, e.g. "Vary (strong)", "Upscale 4×",
    "Zoom out 2× (left)"; "" for a text image."""
    edit = params.get("edit") if isinstance(params.get("edit"), Mapping) else params
    assert isinstance(edit, Mapping)
    if operation == "variation":
        vary = edit.get("vary")
        return f"Vary ({vary})" if vary else "Vary"
    if operation == "image-to-image":
        strength = edit.get("strength")
        return (
            f"Image-to-image ({strength:g})"
            if isinstance(strength, int | float)
            else "Image-to-image"
        )
    if operation == "inpaint":
        return "Inpaint"
    if operation == "outpaint":
        zoom, direction = edit.get("zoom"), edit.get("direction")
        side = f" ({direction})" if direction and direction != "all" else ""
        return f"Zoom out {zoom:g}×{side}" if isinstance(zoom, int | float) else "Zoom out"
    if operation == "upscale":
        factor = edit.get("factor")
        return f"Upscale {factor}×" if factor else "Upscale"
    return ""


def validate_edit(
    session: Session,
    viewer_id: int,
    data: Mapping[str, Any],
    settings: Settings | None = None,
    *,
    upload: bytes | None = None,
    mask: bytes | str | None = None,
) -> EditPlan:
    """Check an edit request completely, writing nothing.

    `upload`: the raw bytes of an uploaded start image (instead of `source_image_id`).
    `mask`: the painted mask for inpaint, PNG bytes or a `data:image/png;base64,` URL, at the
    source's size (uploads.check_mask states the convention).
    Raises NotFound when the source image does not exist or the viewer cannot see it;
    RequestErrors (an InvalidInput: `.errors` maps field -> message, `.field`/`.message` the
    first) for everything else, including UnsupportedOperation's case: field "operation" when
    the model cannot do the operation.
    """
    return plan_edit(session, viewer_id, data, settings or get_settings(), upload, mask)


# ---------------------------------------------------------------- submitting


def edit_file_key(user_id: int, set_id: int, kind: str, extension: str = "png") -> str:
    """Where a job's uploaded start image ("source") or mask ("mask") is stored: private (never
    served), beside the set's images, so the storage sweep keeps it while the set names it."""
    name = f"{uuid4().hex}-{kind}.{extension}"
    return f"{PRIVATE_PREFIX}images/u{int(user_id)}/s{int(set_id)}/{name}"


def _discard(storage: Storage, keys: list[str]) -> None:
    if not keys:
        return
    try:
        storage.delete_many(keys)
    except Exception:
        log.exception("could not delete %s; the storage sweep will remove them", keys)


def create_edit_job(
    session: Session,
    viewer_id: int,
    data: Mapping[str, Any],
    settings: Settings | None = None,
    *,
    upload: bytes | None = None,
    mask: bytes | str | None = None,
    storage: Storage | None = None,
    enqueue: Callable[[str], None] | None = None,
    publish: Publish | None = None,
) -> GenerationJob:
    """Validate, pay once, store the upload/mask, commit, announce and enqueue an edit job.

    The same path as generation.create_job (one spend row, one job, one set, the "queued"
    event, then the queue). Raises what `validate_edit` raises, InsufficientCredits, or
    InvalidInput when the queue refused the job (then already refunded). On any refusal or
    failure nothing is charged and no file is left in storage. Commits the session.
    """
    settings = settings or get_settings()
    plan = validate_edit(session, viewer_id, data, settings, upload=upload, mask=mask)
    return submit_edit(
        session, viewer_id, plan, settings, storage=storage, enqueue=enqueue, publish=publish
    )


def submit_edit(
    session: Session,
    viewer_id: int,
    plan: EditPlan,
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    enqueue: Callable[[str], None] | None = None,
    publish: Publish | None = None,
) -> GenerationJob:
    """`create_edit_job` for a request already checked by `validate_edit` (by the same viewer,
    just before): for callers that do something between the two, as the REST API hits the
    generation rate tier only for valid requests, without checking a 20 MB upload twice."""
    settings = settings or get_settings()
    store = get_storage(settings) if storage is None else storage
    if publish is None:
        publish = partial(events.publish, settings=settings)
    if enqueue is None:
        # Looked up on generation at call time: one queue for text and edit jobs (and one
        # place for tests to replace it).
        enqueue = partial(generation.enqueue_job, settings=settings)
    note = f"{plan.form.count} × {plan.spec.display_name} ({VERBS[plan.form.operation]})"
    backpressure.admit(session, viewer_id, settings)  # before the debit: a refusal writes nothing
    entry = pay(session, viewer_id, plan.price, note=note)
    job = add_job_params(session, viewer_id, plan.params, plan.form.count, plan.price, entry)
    session.flush()
    stored: list[str] = []
    try:
        image_set = session.exec(select(ImageSet).where(ImageSet.job_id == job.id)).one()
        assert image_set.id is not None
        params = dict(plan.params)
        if plan.upload is not None:
            upload = plan.upload
            key = edit_file_key(viewer_id, image_set.id, "source", upload.extension)
            store.put(key, upload.data, upload.content_type)
            stored.append(key)
            params["upload_key"] = key
        if plan.mask_png is not None:
            key = edit_file_key(viewer_id, image_set.id, "mask")
            store.put(key, plan.mask_png, "image/png")
            stored.append(key)
            params["mask_key"] = key
        job.params = params
        image_set.params = params
        session.commit()
    except BaseException:
        session.rollback()  # the debit, the job and the set go with it: nothing charged
        _discard(store, stored)
        raise
    launch(
        session, job, enqueue=enqueue, publish=publish, on_refused=lambda: _discard(store, stored)
    )
    return job
