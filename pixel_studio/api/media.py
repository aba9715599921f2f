"""Serves the local storage folder (embedded profile; S3 serves its own files).

Every file goes through the one visibility rule (services/visibility.py), suspended and
deleted owners included: an image's file is served to someone else only while the image is
public and its owner is neither suspended nor deleted; an avatar only while its user is
neither. Private images only through a signed, expiring URL that was issued to the viewer who
presents it (the cookie says who), and only while the rule still lets that viewer see it.
Private images live under `private/` (storage/base.PRIVATE_PREFIX), which this route never
serves unsigned, and move under fresh keys when their privacy changes
(services/studio/images.set_image_privacy): a URL handed out while public dies with the change.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session, col, or_, select

from pixel_studio.api.deps import OptionalUser, SessionDep, SettingsDep
from pixel_studio.models import Image, User
from pixel_studio.services.visibility import is_suspended, is_visible
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
_PRIVATE_IMAGE_KEY = re.compile(r"^private/images/u\d+/s(?P<set_id>\d+)/[^/]+$")
_AVATAR_KEY = re.compile(r"^avatars/u(?P<user_id>\d+)/[^/]+$")
NOT_FOUND = Response("Not found", status_code=404, media_type="text/plain")


def image_for(session: Session, key: str) -> Image | None:
    """The image whose original or thumbnail `key` is, or None."""
    match = _IMAGE_KEY.match(key) or _PRIVATE_IMAGE_KEY.match(key)
    if match is None:
        return None
    # The set id in the key narrows the lookup to one indexed handful of rows.
    return session.exec(
        select(Image).where(
            Image.set_id == int(match["set_id"]),
            or_(col(Image.original_key) == key, col(Image.thumbnail_key) == key),
        )
    ).first()


def may_see(session: Session, key: str, viewer_id: int | None) -> bool:
    """The visibility rule for the file at `key`, as `viewer_id` asks for it."""
    avatar = _AVATAR_KEY.match(key)
    if avatar is not None:  # while others may see its user
        user_id = int(avatar["user_id"])
        return session.get(User, user_id) is not None and not is_suspended(session, user_id)
    image = image_for(session, key)
    return image is not None and is_visible(viewer_id, image)


def is_public(session: Session, key: str) -> bool:
    """Served without a signature: never a private key, and only what anyone may see."""
    return not is_private_key(key) and may_see(session, key, None)


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
        viewer_id = viewer.id if viewer else None
        # Issued to this viewer, and the rule still lets them see it now (an owner suspended
        # or deleted since, an image made private since by someone else's link).
        allowed = storage.verify_signed(key, exp, sig, viewer_id) and may_see(
            session, key, viewer_id
        )
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
