"""Sets, cancelling a job, and the owner's changes to an image, under /api/v1 (issue 15).

Each route calls the service the pages call (services/studio/sets, generation.cancel,
images.set_image_privacy / delete_image, image_detail.set_image_title). The visibility rule
holds as on the pages: someone else's private set or image is a 404, exactly like a missing
one; a public set of someone else may be read but not deleted (403, as for collections).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import CacheDep, SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, Viewer, uid, viewer_id
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND, doc
from pixel_studio.api.v1.generations import _job_out
from pixel_studio.api.v1.schemas import decode_cursor, encode_cursor, image_summary
from pixel_studio.api.v1.schemas_more import (
    MAX_ID,
    CancelOut,
    ImagePatchOut,
    SetOut,
    SetsOut,
    SetSummaryOut,
)
from pixel_studio.services.errors import NotFound
from pixel_studio.services.studio import generation, image_detail, images, sets
from pixel_studio.services.studio.image_detail import TITLE_MAX
from pixel_studio.storage import get_storage

router = APIRouter(tags=["sets"], responses={**COMMON_ERRORS, **NOT_FOUND})
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
JobId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]+$")]


class SetsQuery(BaseModel):
    """The /sets page's search: prompt text, model, seed and UTC days (YYYY-MM-DD)."""

    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=24, ge=1, le=60)
    q: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=100)
    seed: str | None = Field(default=None, max_length=20)
    from_: str | None = Field(default=None, alias="from", max_length=10)
    to: str | None = Field(default=None, max_length=10)


@router.get("/sets", response_model=SetsOut, responses=BAD_INPUT)
def list_sets(
    query: Annotated[SetsQuery, Query()],
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SetsOut:
    """Your generation history, newest first (what /sets shows), searched like there."""
    search = sets.parse_search(
        {
            "q": query.q,
            "model": query.model,
            "seed": query.seed,
            "from": query.from_,
            "to": query.to,
        }
    )
    who = uid(user)
    page = sets.list_sets(
        session,
        who,
        query=search.query or None,
        model=search.model or None,
        seed=search.seed,
        created_from=search.created_from,
        created_to=search.created_to,
        before=decode_cursor(query.cursor),
        limit=query.limit,
    )
    storage = get_storage(settings)
    items = [
        SetSummaryOut(
            id=s.set.id or 0,
            job_id=s.set.job_id,
            prompt=s.set.prompt,
            model=s.set.model,
            created_at=s.set.created_at,
            status=s.job.status,
            done=s.job.done,
            total=s.job.total,
            image_count=s.image_count,
            thumbnails=[image_summary(storage, i, who) for i in s.thumbnails],
        )
        for s in page.items
    ]
    return SetsOut(items=items, next_cursor=encode_cursor(page.next_before))


@router.get("/sets/{set_id}", response_model=SetOut)
def read_set(set_id: Id, viewer: Viewer, session: SessionDep, settings: SettingsDep) -> SetOut:
    """A set as you may see it: all of it (and its job) when it is yours, else its public
    images; a 404 when none of it is visible to you."""
    who = viewer_id(viewer)
    detail = sets.get_set(session, who, set_id)
    storage = get_storage(settings)
    job = _job_out(session, settings, who, detail.set.job_id) if detail.is_owner and who else None
    return SetOut(
        id=detail.set.id or 0,
        prompt=detail.set.prompt,
        model=detail.set.model,
        created_at=detail.set.created_at,
        is_owner=detail.is_owner,
        params=detail.params,
        job=job,
        images=[image_summary(storage, i, who) for i in detail.images],
    )


@router.delete(
    "/sets/{set_id}",
    status_code=204,
    response_class=Response,
    responses={403: doc("Someone else's public set: only its owner deletes it.")},
)
def delete_set(set_id: Id, user: TokenUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Delete your set, its images and their files (a job still running is cancelled and
    refunded first)."""
    sets.get_set(session, uid(user), set_id)  # not visible to you: a 404, never a 403
    sets.delete_set(session, uid(user), set_id, get_storage(settings))
    return Response(status_code=204)


@router.post("/generations/{job_id}/cancel", response_model=CancelOut, responses=BAD_INPUT)
def cancel_job(
    job_id: JobId, user: TokenUser, session: SessionDep, settings: SettingsDep
) -> CancelOut:
    """Cancel your queued or running job; the images not made are refunded. A job that has
    ended already is a 400 (field `job`)."""
    generation.cancel(session, uid(user), job_id)
    return CancelOut(job=_job_out(session, settings, uid(user), job_id))


class ImagePatch(BaseModel):
    """Only the fields sent change. A blank or null `title` clears it."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=4 * TITLE_MAX)
    private: bool | None = None


@router.patch("/images/{image_id}", response_model=ImagePatchOut, responses=BAD_INPUT)
def update_image(
    image_id: Id,
    body: ImagePatch,
    user: TokenUser,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
) -> ImagePatchOut:
    """Retitle your image or change its privacy (its files move; old URLs stop working)."""
    who = uid(user)
    if "title" in body.model_fields_set:
        # Checked (and refused) before anything is written, like the privacy's owner check.
        image_detail.set_image_title(session, cache, who, image_id, body.title)
    storage = get_storage(settings)
    if body.private is not None:
        images.set_image_privacy(session, storage, who, image_id, body.private, cache=cache)
    image = images.get_visible_image(session, who, image_id)
    if image.user_id != who:  # an empty patch of someone else's public image: not yours
        raise NotFound("That image does not exist or is not yours.")
    session.refresh(image)
    return ImagePatchOut(image=image_summary(storage, image, who))


@router.delete("/images/{image_id}", status_code=204, response_class=Response)
def delete_image(
    image_id: Id, user: TokenUser, session: SessionDep, cache: CacheDep, settings: SettingsDep
) -> Response:
    """Delete your image and its files (its likes and comments go with it)."""
    images.delete_image(session, get_storage(settings), uid(user), image_id, cache=cache)
    return Response(status_code=204)
