"""Images: the one visibility rule, and the URL a viewer gets for an image's files.

Every read of an image (set pages, feeds, remix, the media route) asks `can_view_image`, so
"who may see this" is decided in exactly one place (DESIGN.md, Security).
"""

from __future__ import annotations

from sqlmodel import Session

from pixel_studio.models import Image
from pixel_studio.services.errors import NotFound
from pixel_studio.services.visibility import is_visible
from pixel_studio.storage import Storage

# Long enough for a page to load every thumbnail, short enough that a copied link dies soon.
PRIVATE_URL_SECONDS = 300


def can_view_image(viewer_id: int | None, image: Image) -> bool:
    """Anyone may see a public image; only its owner may see a private one (the one rule in
    services/visibility.py, so Python and SQL checks can never disagree)."""
    return is_visible(viewer_id, image)


def get_visible_image(session: Session, viewer_id: int | None, image_id: int) -> Image:
    """The image, if this viewer may see it. NotFound otherwise: a private image's existence
    is not revealed to others."""
    image = session.get(Image, image_id)
    if image is None or not can_view_image(viewer_id, image):
        raise NotFound("That image does not exist or is private.")
    return image


def image_url(
    storage: Storage,
    image: Image,
    viewer_id: int | None,
    *,
    thumbnail: bool = False,
    expires_in: int = PRIVATE_URL_SECONDS,
) -> str:
    """A URL for the image's original (or thumbnail) for this viewer.

    Public images get the stable, cacheable URL; private ones a short-lived URL bound to the
    viewer, issued only after the visibility rule passed.
    """
    if not can_view_image(viewer_id, image):
        raise NotFound("That image does not exist or is private.")
    key = image.thumbnail_key if thumbnail else image.original_key
    if not image.private:
        return storage.public_url(key)
    return storage.private_url(key, viewer_id, expires_in)
