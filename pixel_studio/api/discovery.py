"""A JSON read API for discovery: explore pages and one image's page.

`GET /api/v1/explore?q=&model=&style=&sort=&window=&cursor=&limit=` and
`GET /api/v1/images/{id}`, through the same services as the Reflex pages (services/social/explore,
services/studio/image_detail) and so the same visibility rule and the same cache entries. Query
parameters are validated by the services' own pydantic model; every refusal is the REST API's
JSON error (`{"error": {"code", "message", "field"}}`, api/v1/errors.py), never a 500. The
viewer is the API token's owner (`Authorization: Bearer`), else the session cookie's user.
Both count against the read tier (api/v1/auth.count_read): per user with a credential, per
client network without one; over it, a 429 with Retry-After in the same JSON shape.

Why the explore body is cached as bytes: an explore page is the same for every viewer (public
images only, public URLs), so the finished response is stored under the PUBLIC_IMAGES version
and a warm request is two Redis GETs and a write of the bytes - no parsing, no re-encoding
(bench/discovery.py measures it against a bare one-GET route). The image page has a part that
depends on the viewer, so it is assembled per request from the service's cached entry.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from pixel_studio.api.v1.auth import (
    BearerCreds,
    count_read,
    counted_read,
    reader_id,
    resolve_viewer,
    sends_credential,
)
from pixel_studio.api.v1.errors import BAD_INPUT, COMMON_ERRORS, NOT_FOUND, service_error_response
from pixel_studio.cache import Cache, get_cache
from pixel_studio.db import read, read_session
from pixel_studio.services import cached
from pixel_studio.services.errors import InvalidInput, NotFound, ServiceError
from pixel_studio.services.social import explore
from pixel_studio.services.social.cards import CardPage, ImageCard
from pixel_studio.services.studio import image_detail
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage import Storage, get_storage
from pixel_studio.storage.images import display_key

router = APIRouter(prefix="/api/v1", tags=["discovery"], responses=COMMON_ERRORS)
EXPLORE_PATH, IMAGE_PATH = "/api/v1/explore", "/api/v1/images/{image_id}"
# Image ids are INTEGER columns: a larger number can only be a 404, never a database error.
MAX_ID = 2**31 - 1
_PRIVATE = {"Cache-Control": "private, no-store"}  # what a viewer sees depends on them

Entry = tuple[str, list[str]]  # a cache entry's name and its scopes


def explore_entry(query: explore.ExploreQuery) -> Entry:
    """Where a page's finished bytes are cached: the same for every viewer."""
    return f"api-explore:{query.model_dump_json()}", [cached.PUBLIC_IMAGES]


def image_entry(image_id: int) -> Entry:
    """Where a visitor's image page is cached: under the image's version."""
    return f"api-image:{image_id}", [cached.image_scope(image_id)]


def explore_response(body: str) -> Response:
    return Response(body, media_type="application/json")


def image_response(body: str) -> Response:
    return Response(body, media_type="application/json", headers=_PRIVATE)


class CardOut(BaseModel):
    id: int
    title: str | None
    prompt: str
    model: str
    style: str | None
    width: int
    height: int
    like_count: int
    comment_count: int
    created_at: datetime
    creator_username: str
    creator_avatar_key: str | None
    thumbnail_url: str
    url: str


class ExplorePageOut(BaseModel):
    items: list[CardOut]
    next_cursor: str | None


class ImageOut(BaseModel):
    id: int
    user_id: int
    set_id: int
    parent_id: int | None
    title: str | None
    prompt: str
    model: str
    style: str | None
    params: dict[str, Any]
    width: int
    height: int
    seed: int | None
    private: bool
    like_count: int
    comment_count: int
    created_at: datetime
    creator_username: str
    creator_avatar_key: str | None
    thumbnail_url: str
    url: str
    # The file the image's page shows it with: the WebP thumbnail when that is full size.
    display_url: str


class ImageDetailOut(BaseModel):
    image: ImageOut
    is_owner: bool
    viewer_has_liked: bool


def error(exc: ServiceError, status: int) -> JSONResponse:
    response = service_error_response(exc)
    response.status_code = status
    return response


def _card_out(storage: Storage, card: ImageCard) -> CardOut:
    # Explore shows public images only: their URLs are the stable public ones.
    fields = {k: getattr(card, k) for k in CardOut.model_fields if hasattr(card, k)}
    return CardOut(
        **fields,
        thumbnail_url=storage.public_url(card.thumbnail_key),
        url=storage.public_url(card.original_key),
    )


def explore_body(page: CardPage, storage: Storage) -> bytes:
    out = ExplorePageOut(
        items=[_card_out(storage, c) for c in page.items], next_cursor=page.next_cursor
    )
    return out.model_dump_json().encode()


ExploreDepsValue = tuple[Settings, Cache, Callable[[], AbstractContextManager[Session]]]


async def explore_deps() -> ExploreDepsValue:
    """Settings, cache and a session factory, resolved without a thread hop.

    FastAPI runs every plain `def` dependency in its threadpool; on a warm read those hops
    (settings, cache, the session generator's entry and exit) cost more than the two Redis
    GETs. So they are resolved here, inline, and a session is opened only on a miss: a
    read-only one (db.read_session: no BEGIN/ROLLBACK round trips)."""
    return get_settings(), get_cache(), read_session


ExploreDeps = Annotated[ExploreDepsValue, Depends(explore_deps)]


@router.get("/explore", response_model=ExplorePageOut, responses=BAD_INPUT)
def explore_page(
    query: Annotated[explore.ExploreQuery, Query()],
    request: Request,
    creds: BearerCreds,
    deps: ExploreDeps,
) -> Response:
    settings, cache, sessions = deps
    # The page is the same for everyone; who asks only decides whose read tier it counts in.
    user_id = None
    if sends_credential(request):
        with sessions() as session:
            user_id = reader_id(request, session, creds)
    # The read's count, the entry's key and the entry: one Redis round trip when warm (a
    # visitor's warm read is answered before it gets here: api/visitor_reads.py).
    key, body = counted_read(request, user_id, cache, settings, *explore_entry(query))
    if body is None:
        try:
            # The service's loader, not explore.explore: the finished bytes are the entry.
            page = read(lambda s: explore.load_explore(s, query), sessions=sessions)
        except InvalidInput as exc:
            return error(exc, 400)
        body = explore_body(page, get_storage(settings)).decode()
        cache.set(key, body, explore.EXPLORE_TTL)
    return explore_response(body)


def _image_body(detail: image_detail.ImageDetail, viewer_id: int | None, storage: Storage) -> str:
    info = detail.image
    if info.private:  # only its owner gets here: a short-lived URL bound to them
        url = storage.private_url(info.original_key, viewer_id, 300)
        thumb = storage.private_url(info.thumbnail_key, viewer_id, 300)
    else:
        url, thumb = storage.public_url(info.original_key), storage.public_url(info.thumbnail_key)
    display = thumb if display_key(info) == info.thumbnail_key else url
    fields = {k: getattr(info, k) for k in ImageOut.model_fields if hasattr(info, k)}
    out = ImageDetailOut(
        image=ImageOut(**fields, url=url, thumbnail_url=thumb, display_url=display),
        is_owner=detail.is_owner,
        viewer_has_liked=detail.viewer_has_liked,
    )
    return out.model_dump_json()


@router.get("/images/{image_id}", response_model=ImageDetailOut, responses=NOT_FOUND)
def image_page(
    image_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    creds: BearerCreds,
    deps: ExploreDeps,
) -> Response:
    """Who is asking decides the page only when they send a credential: a visitor's page of a
    public image is the same for every visitor, so its finished bytes are cached under the
    image's version (what the service's own entry is keyed on) and a warm visitor read is two
    cache GETs, with no session, no thread hop for a dependency and no JSON work. A token or a
    session cookie is resolved as `Viewer` resolves it (api/v1/auth.resolve_viewer)."""
    settings, cache, sessions = deps
    if creds is None and not sends_credential(request):
        key, body = counted_read(request, None, cache, settings, *image_entry(image_id))
        if body is None:
            try:
                detail = read(
                    lambda s: image_detail.get_image_detail(s, cache, None, image_id),
                    sessions=sessions,
                )
            except NotFound as exc:
                return error(exc, 404)
            body = _image_body(detail, None, get_storage(settings))
            cache.set(key, body, image_detail.DETAIL_TTL)  # public: visitors see no other
        return image_response(body)
    with sessions() as session:
        viewer = resolve_viewer(request, session, creds)
        viewer_id = viewer.id if viewer is not None else None
        count_read(request, viewer_id, cache, settings)
        try:
            detail = image_detail.get_image_detail(session, cache, viewer_id, image_id)
        except NotFound as exc:
            return error(exc, 404)
    return image_response(_image_body(detail, viewer_id, get_storage(settings)))
