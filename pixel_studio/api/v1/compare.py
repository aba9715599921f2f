"""`POST /api/v1/compare` and `GET /api/v1/compare?sets=…`: one prompt made 2–4 ways (issue 15).

`services/studio/compare.create_compare`, what /compare calls: validated per column, counted against
the generation tier (one per column), paid in one transaction, then queued. A comparison is
its sets' ids, owner-only like every set read: someone else's sets are left out, and a
comparison with none of yours is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, uid
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND, doc
from pixel_studio.api.v1.generations import _job_out
from pixel_studio.api.v1.schemas_more import ComparisonOut
from pixel_studio.catalog import MAX_IMAGES_PER_REQUEST
from pixel_studio.providers.base import MAX_SEED
from pixel_studio.services import users
from pixel_studio.services.errors import NotFound
from pixel_studio.services.studio import compare
from pixel_studio.services.studio.compare_variants import Vary
from pixel_studio.services.studio.generation import MAX_PROMPT

router = APIRouter(tags=["compare"], responses=COMMON_ERRORS)


class CompareIn(BaseModel):
    """What varies (`vary`) and its 2–4 `values`: model ids, style presets, seeds or
    guidances. For anything but `model`, `model` names the one model. `private` defaults to
    the account's default privacy."""

    model_config = ConfigDict(extra="forbid")

    vary: Vary = "model"
    values: list[Annotated[str, Field(max_length=100)]] = Field(min_length=2, max_length=4)
    model: str | None = Field(default=None, max_length=100)
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT)
    size: str | None = Field(default=None, max_length=20, examples=["512x512"])
    count: int = Field(default=1, ge=1, le=MAX_IMAGES_PER_REQUEST)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    style_preset: str | None = Field(default=None, max_length=32)
    private: bool | None = None


class CompareQuery(BaseModel):
    sets: str = Field(min_length=1, max_length=60, examples=["4,5,6"])


@router.post(
    "/compare",
    status_code=201,
    response_model=ComparisonOut,
    responses={
        **BAD_INPUT,
        402: doc("Not enough credits for every column (nothing was charged)."),
        429: doc("Over the generation tier (one per column): wait for Retry-After."),
    },
)
def create_comparison(
    body: CompareIn, user: TokenUser, session: SessionDep, settings: SettingsDep
) -> ComparisonOut:
    """Pay for and queue one job per column; poll each with `GET /api/v1/generations/{id}`
    or the whole comparison with `GET /api/v1/compare?sets=…`."""
    who = uid(user)
    data: dict[str, Any] = body.model_dump(exclude_none=True, exclude={"vary", "values"})
    if body.private is None:
        data["private"] = users.get_user(session, who).default_private
    result = compare.create_compare(session, who, data, body.values, settings, vary=body.vary)
    jobs = [_job_out(session, settings, who, job.id) for job in result.jobs]
    return ComparisonOut(set_ids=result.set_ids, jobs=jobs)


@router.get("/compare", response_model=ComparisonOut, responses={**BAD_INPUT, **NOT_FOUND})
def read_comparison(
    query: Annotated[CompareQuery, Query()],
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ComparisonOut:
    """The columns of a comparison of your sets (`sets`: their ids, comma-separated)."""
    who = uid(user)
    set_ids = compare.parse_set_ids(query.sets)
    job_ids = compare.comparison_jobs(session, who, set_ids)
    if not job_ids:
        raise NotFound("That comparison does not exist.")
    jobs = [_job_out(session, settings, who, job_id) for job_id in job_ids]
    return ComparisonOut(set_ids=[j.set_id for j in jobs if j.set_id is not None], jobs=jobs)
