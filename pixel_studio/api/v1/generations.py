"""`POST /api/v1/generations` and `GET /api/v1/generations/{id}`.

Creating goes through `generation.create_job`, exactly what the create page calls: the request
is validated against the catalog, the credits debited in the job's transaction, the job
committed, announced on the job event path (so every open page of the user shows it at once
and fills in live, as for a job started there) and then queued.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, uid
from pixel_studio.api.v1.errors import BAD_INPUT, BUSY, COMMON_ERRORS, NOT_FOUND, doc
from pixel_studio.api.v1.schemas import JobOut, image_summary
from pixel_studio.catalog import GUIDANCE_RANGE, MAX_IMAGES_PER_REQUEST, STEPS_RANGE
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import rate_limits, users
from pixel_studio.services.studio import generation, job_status
from pixel_studio.services.studio.generation import MAX_NEGATIVE_PROMPT, MAX_PROMPT
from pixel_studio.storage import get_storage

router = APIRouter(tags=["generations"], responses=COMMON_ERRORS)
MAX_ID = 2**31 - 1


class GenerationIn(BaseModel):
    """What the create form sends. Omitted values take the model's defaults; `private`
    defaults to the account's default privacy."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100, examples=["local-sketch"])
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT, examples=["a red fox in snow"])
    negative_prompt: str | None = Field(default=None, max_length=MAX_NEGATIVE_PROMPT)
    style_preset: str = Field(default="none", max_length=32)
    size: str | None = Field(default=None, max_length=20, examples=["512x512"])
    count: int = Field(default=1, ge=1, le=MAX_IMAGES_PER_REQUEST)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    guidance: float | None = Field(default=None, ge=GUIDANCE_RANGE[0], le=GUIDANCE_RANGE[1])
    steps: int | None = Field(default=None, ge=STEPS_RANGE[0], le=STEPS_RANGE[1])
    quality: str | None = Field(default=None, max_length=20)
    style: str | None = Field(default=None, max_length=20)
    private: bool | None = None
    parent_image_id: int | None = Field(default=None, ge=1, le=MAX_ID)


def _job_out(session: SessionDep, settings: SettingsDep, user_id: int, job_id: str) -> JobOut:
    view = job_status.job_status(session, user_id, job_id)
    job, storage = view.job, get_storage(settings)
    return JobOut(
        id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,
        credits_charged=job.credits_charged,
        credits_refunded=job.credits_refunded,
        error=job.error,
        message=view.message,
        params=job.params,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        set_id=view.set_id,
        images=[image_summary(storage, i, user_id) for i in view.images],
    )


@router.post(
    "/generations",
    status_code=201,
    response_model=JobOut,
    responses={
        **BAD_INPUT,
        402: doc("Not enough credits (nothing was charged)."),
        429: doc("Over the generation tier (as on the create form): wait for Retry-After."),
        **BUSY,
    },
)
def create_generation(
    body: GenerationIn, user: TokenUser, session: SessionDep, settings: SettingsDep
) -> JobOut:
    """Pay for and queue a job; poll `GET /api/v1/generations/{id}` until it has ended."""
    data = body.model_dump(exclude_none=True)
    if body.private is None:
        data["private"] = users.get_user(session, uid(user)).default_private
    # The generation tier, as on the create form (one allowance across both): refused input
    # does not use it up, only real attempts count.
    generation.validate_request(dict(data), settings)
    rate_limits.hit(
        rate_limits.get_limiter(), rate_limits.GENERATION, rate_limits.user_key(uid(user)), settings
    )
    job = generation.create_job(session, uid(user), data, settings)
    return _job_out(session, settings, uid(user), job.id)


@router.get("/generations/{job_id}", response_model=JobOut, responses=NOT_FOUND)
def get_generation(
    job_id: Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]+$")],
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
) -> JobOut:
    """A job's status and progress, and the images made so far (yours only)."""
    return _job_out(session, settings, uid(user), job_id)
