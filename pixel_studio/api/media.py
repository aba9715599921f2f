"""Serves the local storage folder (embedded profile; S3 serves its own files).

Public files: avatars, and images whose row says public. Private images only through a
signed, expiring URL that was issued to the viewer who presents it (the cookie says who).
Private images live under `private/` (storage/base.PRIVATE_PREFIX), which this route never
serves unsigned, and move under fresh keys when their privacy changes
(services/images.set_image_privacy): a URL handed out while public dies with the change.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session, col, or_, select

from pixel_studio.api.deps import OptionalUser, SessionDep, SettingsDep
from pixel_studio.models import Image
from pixel_studio.storage import get_storage
from pixel_studio.storage.base import (
    CACHE_PRIVATE,
    InvalidKey,
    cache_control_for,
    content_disposition_for,
    content_type_for,
    is_private_key,
)
from pixel_studio.storage.local import LocalStorage

router = APIRouter()
_IMAGE_KEY = re.compile(r"^images/u\d+/s(?P<set_id>\d+)/[^/]+$")
NOT_FOUND = Response("Not found", status_code=404, media_type="text/plain")


def is_public(session: Session, key: str) -> bool:
    if is_private_key(key):
        return False
    if key.startswith("avatars/"):
        return True
    match = _IMAGE_KEY.match(key)
    if match is None:
        return False
    # The set id in the key narrows the lookup to one indexed handful of rows.
    image = session.exec(
        select(Image).where(
            Image.set_id == int(match["set_id"]),
            or_(col(Image.original_key) == key, col(Image.thumbnail_key) == key),
        )
    ).first()
    return image is not None and not image.private


@router.get("/media/{key:path}", include_in_schema=False)
def media(
    key: str, request: Request, session: SessionDep, viewer: OptionalUser, settings: SettingsDep
) -> Response:
    storage = get_storage(settings)
    if not isinstance(storage, LocalStorage):
        return NOT_FOUND
    try:
        path = storage.path_for(key)
    except InvalidKey:
        return NOT_FOUND
    exp, sig = request.query_params.get("exp"), request.query_params.get("sig")
    if exp and sig:
        allowed = storage.verify_signed(key, exp, sig, viewer.id if viewer else None)
        cache_control = CACHE_PRIVATE
    else:
        allowed = is_public(session, key)
        cache_control = cache_control_for(key)
    if not allowed or not path.is_file():
        return NOT_FOUND
    return FileResponse(
        path,
        media_type=content_type_for(key),
        headers={
            "Cache-Control": cache_control,
            "Content-Disposition": content_disposition_for(key),
            "X-Content-Type-Options": "nosniff",
        },
    )
