"""Collections and their images under /api/v1, through services/social/collections.py.

Someone else's private collection is a 404, exactly as on the pages; its images are listed
only as far as the caller may see each one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from pixel_studio.api.deps import CacheDep, SessionDep, SettingsDep
from pixel_studio.api.v1.auth import TokenUser, Viewer, uid, viewer_id
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND, Responses, doc
from pixel_studio.api.v1.schemas import (
    MAX_CURSOR,
    CollectionEntryOut,
    CollectionImagesOut,
    CollectionOut,
    CollectionsOut,
    decode_cursor,
    encode_cursor,
    image_summary,
)
from pixel_studio.models import Collection
from pixel_studio.services import users
from pixel_studio.services.errors import NotAllowed, NotFound
from pixel_studio.services.social import collections
from pixel_studio.storage import get_storage

FORBIDDEN: Responses = {403: doc("Someone else's collection: only its owner changes it.")}
router = APIRouter(
    tags=["collections"], responses={**COMMON_ERRORS, **NOT_FOUND, **BAD_INPUT, **FORBIDDEN}
)
MAX_ID = 2**31 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Username = Annotated[str, Path(min_length=1, max_length=40)]


class PageQuery(BaseModel):
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)
    limit: int = Field(default=24, ge=1, le=60)


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=1000)
    private: bool = False


class CollectionPatch(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    private: bool | None = None


def _out(c: Collection, is_owner: bool, count: int | None = None) -> CollectionOut:
    return CollectionOut(
        id=c.id or 0,
        user_id=c.user_id,
        title=c.title,
        description=c.description,
        private=c.private,
        created_at=c.created_at,
        is_owner=is_owner,
        image_count=count,
    )


@router.get("/users/{username}/collections", response_model=CollectionsOut)
def user_collections(
    username: Username, query: Annotated[PageQuery, Query()], viewer: Viewer, session: SessionDep
) -> CollectionsOut:
    """A user's collections, newest first (private ones only for their owner)."""
    owner = users.find_by_username(session, username)
    if owner is None or owner.id is None:
        raise NotFound("No such user.")
    page = collections.list_collections(
        session,
        viewer_id(viewer),
        owner.id,
        before=decode_cursor(query.cursor),
        limit=query.limit,
    )
    items = [_out(s.collection, s.is_owner, s.image_count) for s in page.items]
    return CollectionsOut(items=items, next_cursor=encode_cursor(page.next_before))


@router.post("/collections", status_code=201, response_model=CollectionOut)
def create(
    body: CollectionIn, user: TokenUser, session: SessionDep, cache: CacheDep
) -> CollectionOut:
    made = collections.create_collection(
        session, cache, uid(user), body.title, description=body.description, private=body.private
    )
    return _out(made, True, 0)


@router.get("/collections/{collection_id}", response_model=CollectionImagesOut)
def read(
    collection_id: Id,
    query: Annotated[PageQuery, Query()],
    viewer: Viewer,
    session: SessionDep,
    settings: SettingsDep,
) -> CollectionImagesOut:
    """A collection and a page of its images, newest added first."""
    who = viewer_id(viewer)
    page = collections.collection_images(
        session, who, collection_id, before=decode_cursor(query.cursor), limit=query.limit
    )
    storage = get_storage(settings)
    return CollectionImagesOut(
        collection=_out(page.collection, page.is_owner),
        items=[image_summary(storage, i, who) for i in page.images],
        next_cursor=encode_cursor(page.next_before),
    )


@router.patch("/collections/{collection_id}", response_model=CollectionOut)
def update(
    collection_id: Id, body: CollectionPatch, user: TokenUser, session: SessionDep, cache: CacheDep
) -> CollectionOut:
    """Rename, describe or change the privacy of your collection."""
    owner = uid(user)
    # Every field checked before anything is written: a bad description never leaves a rename.
    if body.title is not None:
        users.parse(collections.TitleInput, {"title": body.title})
    if body.description is not None:
        users.parse(collections.DescriptionInput, {"description": body.description})
    current = collections.get_collection(session, owner, collection_id)
    if body.title is not None:
        current = collections.rename_collection(session, cache, owner, collection_id, body.title)
    if body.description is not None:
        current = collections.describe_collection(
            session, cache, owner, collection_id, body.description
        )
    if body.private is not None:
        current = collections.set_collection_privacy(
            session, cache, owner, collection_id, body.private
        )
    if current.user_id != owner:  # an empty patch of someone else's: refused like any other
        raise NotAllowed("Only the owner can change a collection.")
    return _out(current, True)


@router.delete("/collections/{collection_id}", status_code=204, response_class=Response)
def delete(collection_id: Id, user: TokenUser, session: SessionDep, cache: CacheDep) -> Response:
    collections.delete_collection(session, cache, uid(user), collection_id)
    return Response(status_code=204)


@router.put("/collections/{collection_id}/images/{image_id}", response_model=CollectionEntryOut)
def add_image(
    collection_id: Id, image_id: Id, user: TokenUser, session: SessionDep, cache: CacheDep
) -> CollectionEntryOut:
    """Put an image you may see into your collection (idempotent)."""
    changed = collections.add_image(session, cache, uid(user), collection_id, image_id)
    return CollectionEntryOut(collection_id=collection_id, image_id=image_id, changed=changed)


@router.delete("/collections/{collection_id}/images/{image_id}", response_model=CollectionEntryOut)
def remove_image(
    collection_id: Id, image_id: Id, user: TokenUser, session: SessionDep, cache: CacheDep
) -> CollectionEntryOut:
    changed = collections.remove_image(session, cache, uid(user), collection_id, image_id)
    return CollectionEntryOut(collection_id=collection_id, image_id=image_id, changed=changed)
