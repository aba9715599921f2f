"""`POST /api/v1/edits` (JSON, from an image id), `POST /api/v1/edits/upload` (multipart, from
an uploaded file or an image id) and `GET /api/v1/images/{id}/lineage`.

Both posts go through `editing.create_edit_job`, what the image page and the image-to-image
page call: validated against the catalog, charged once, queued on the job path of text
generations; poll the job with `GET /api/v1/generations/{id}`. An operation the model cannot
do is a 422 `unsupported_operation`; a source the token's user cannot see is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, Viewer, uid, viewer_id
from pixel_studio.api.v1.errors import BAD_INPUT, BUSY, COMMON_ERRORS, NOT_FOUND, ApiError, doc
from pixel_studio.api.v1.generations import _job_out
from pixel_studio.api.v1.schemas import JobOut, UserCardOut, card_out
from pixel_studio.catalog import MAX_IMAGES_PER_REQUEST
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import rate_limits, users
from pixel_studio.services.studio import editing
from pixel_studio.services.studio.editing import (
    MAX_NEGATIVE_PROMPT,
    MAX_PROMPT,
    MAX_UPLOAD_BYTES,
    Direction,
    EditOperation,
    Vary,
)
from pixel_studio.services.studio.uploads import MAX_MASK_BYTES
from pixel_studio.storage import get_storage

router = APIRouter(tags=["edits"], responses=COMMON_ERRORS)
MAX_ID = 2**31 - 1
# A data URL of the largest mask the service accepts: base64 grows 4/3, plus the prefix.
MAX_MASK_URL = MAX_MASK_BYTES * 4 // 3 + 64

EDIT_ERRORS = {
    **BAD_INPUT,
    **NOT_FOUND,
    402: doc("Not enough credits (nothing was charged)."),
    422: doc(
        "A value that does not validate, or an operation the model cannot do "
        "(code `unsupported_operation`, field `operation`)."
    ),
    429: doc("Over the generation tier (as on the create form): wait for Retry-After."),
    **BUSY,
}


class _EditFields(BaseModel):
    """What every edit takes (EditForm in services/studio/editing.py says which field applies to
    which operation). `private` defaults to the account's default privacy."""

    model_config = ConfigDict(extra="forbid")

    operation: EditOperation
    model: str = Field(min_length=1, max_length=100, examples=["local-sketch"])
    prompt: str = Field(default="", max_length=MAX_PROMPT)
    negative_prompt: str | None = Field(default=None, max_length=MAX_NEGATIVE_PROMPT)
    strength: float | None = Field(default=None, ge=0.0, le=1.0)
    vary: Vary | None = None
    zoom: float | None = Field(default=None, ge=1.5, le=2.0, description="1.5 or 2")
    direction: Direction | None = None
    factor: int | None = Field(default=None, ge=2, le=4, description="2 or 4")
    count: int = Field(default=1, ge=1, le=MAX_IMAGES_PER_REQUEST)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    style_preset: str = Field(default="none", max_length=32)
    private: bool | None = None


class EditIn(_EditFields):
    """An edit of an image you can see. For inpaint, `mask` is the painted mask as a
    `data:image/png;base64,` URL at the image's size: white = change, black = keep."""

    source_image_id: int = Field(ge=1, le=MAX_ID)
    mask: str | None = Field(default=None, max_length=MAX_MASK_URL)


class EditUploadIn(_EditFields):
    """The multipart form: the start image is the `image` file part, or `source_image_id`.
    For inpaint, the `mask` file part is a PNG at the image's size (white = change)."""

    source_image_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    image: UploadFile | None = Field(
        default=None, description="PNG, JPEG or WebP, ≤ 20 MB, ≤ 16 MP"
    )
    mask: UploadFile | None = Field(default=None, description="inpaint: PNG mask, white = change")


class DerivedOut(BaseModel):
    items: list[UserCardOut]
    next_cursor: str | None


class LineageOut(BaseModel):
    image_id: int
    operation: str  # text, variation, image-to-image, inpaint, outpaint, upscale
    label: str  # e.g. "Upscale 4×"; "" for a text image
    edit: dict[str, Any]  # the operation's parameters
    from_upload: bool
    source: UserCardOut | None  # None: none, deleted, or not visible to you
    derived: DerivedOut  # visible images made from this one, newest first


class LineageQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=400)
    limit: int = Field(default=12, ge=1, le=60)


def _create(
    session: SessionDep,
    settings: SettingsDep,
    user_id: int,
    data: dict[str, Any],
    *,
    upload: bytes | None = None,
    mask: bytes | str | None = None,
) -> JobOut:
    if data.get("private") is None:
        data["private"] = users.get_user(session, user_id).default_private
    try:
        # Refused input does not use up the generation tier; only real attempts count.
        plan = editing.validate_edit(session, user_id, data, settings, upload=upload, mask=mask)
        rate_limits.hit(
            rate_limits.get_limiter(),
            rate_limits.GENERATION,
            rate_limits.user_key(user_id),
            settings,
        )
        job = editing.submit_edit(session, user_id, plan, settings)
    except editing.UnsupportedOperation as exc:
        raise ApiError(422, "unsupported_operation", exc.message, field=exc.field) from None
    return _job_out(session, settings, user_id, job.id)


@router.post("/edits", status_code=201, response_model=JobOut, responses=EDIT_ERRORS)
def create_edit(
    body: EditIn, user: TokenUser, session: SessionDep, settings: SettingsDep
) -> JobOut:
    """Vary, image-to-image, inpaint, zoom out or upscale an image you can see. Pays for and
    queues a job; poll `GET /api/v1/generations/{id}` until it has ended."""
    data = body.model_dump(exclude_none=True, exclude={"mask"})
    data.setdefault("private", None)
    return _create(session, settings, uid(user), data, mask=body.mask)


@router.post("/edits/upload", status_code=201, response_model=JobOut, responses=EDIT_ERRORS)
def create_edit_from_upload(
    form: Annotated[EditUploadIn, Form()],
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
) -> JobOut:
    """The same operations by multipart upload: start from the `image` file part (or from
    `source_image_id`), with the `mask` file part for inpaint."""
    image, mask = form.image, form.mask
    upload = editing.read_capped(image.file, MAX_UPLOAD_BYTES) if image is not None else None
    painted = (
        editing.read_capped(mask.file, MAX_MASK_BYTES, field="mask") if mask is not None else None
    )
    data = form.model_dump(exclude_none=True, exclude={"image", "mask"})
    data.setdefault("private", None)
    return _create(session, settings, uid(user), data, upload=upload, mask=painted)


@router.get(
    "/images/{image_id}/lineage",
    response_model=LineageOut,
    responses={**NOT_FOUND, **BAD_INPUT},
)
def image_lineage(
    image_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    query: Annotated[LineageQuery, Query()],
    viewer: Viewer,
    session: SessionDep,
    settings: SettingsDep,
) -> LineageOut:
    """How an image was made, the image it was made from (when you may see it) and a page of
    the images made from it that you may see (`cursor` for the next page)."""
    who = viewer_id(viewer)
    view = editing.lineage(session, who, image_id, limit=query.limit)
    derived = view.derived
    if query.cursor is not None:
        derived = editing.derived_from(
            session, who, image_id, cursor=query.cursor, limit=query.limit
        )
    storage = get_storage(settings)
    return LineageOut(
        image_id=view.image_id,
        operation=view.operation,
        label=editing.describe_edit(view.operation, view.edit),
        edit=view.edit,
        from_upload=view.from_upload,
        source=card_out(storage, view.source, who) if view.source is not None else None,
        derived=DerivedOut(
            items=[card_out(storage, c, who) for c in derived.items],
            next_cursor=derived.next_cursor,
        ),
    )
