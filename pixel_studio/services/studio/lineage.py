"""Lineage: which image an image was made from, and the images made from it.

The source is `Image.parent_id` (ON DELETE SET NULL: deleting a source keeps what was made from
it) and how it was made is `Image.operation` with `params["edit"]` (models.py). Both directions
go through the one visibility rule (services/visibility.py): a private source shows to nobody
but its owner, and the "made from this image" strip lists only what the viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col

from pixel_studio.models import Image
from pixel_studio.services.social.cards import (
    CardPage,
    ImageCard,
    after,
    card_select,
    limit_of,
    order_by,
    page_of,
    to_card,
)
from pixel_studio.services.studio.images import get_visible_image
from pixel_studio.services.visibility import visible_to

DERIVED_PAGE = 12
MAX_DERIVED_PAGE = 100


@dataclass(frozen=True)
class Lineage:
    """What the image page shows about where an image came from and what came of it."""

    image_id: int
    operation: str  # "text" or one of catalog.EDIT_OPERATIONS
    edit: dict[str, Any]  # strength, vary, zoom, direction, factor, source ("image"|"upload")
    source: ImageCard | None  # None: no source, or one the viewer may not see (or deleted)
    from_upload: bool  # made from an uploaded file rather than an image in the studio
    derived: CardPage  # the visible images made from this one, newest first


def source_of(session: Session, viewer_id: int | None, image_id: int) -> ImageCard | None:
    """The image's source as this viewer may see it: None when it has none, the source was
    deleted, or the viewer may not see it. NotFound when the image itself is not visible."""
    image = get_visible_image(session, viewer_id, image_id)
    if image.parent_id is None:
        return None
    row = session.execute(
        card_select().where(col(Image.id) == image.parent_id, visible_to(viewer_id, Image))
    ).first()
    return to_card(row[:16]) if row is not None else None


def derived_from(
    session: Session,
    viewer_id: int | None,
    image_id: int,
    *,
    cursor: str | None = None,
    limit: int = DERIVED_PAGE,
) -> CardPage:
    """The images made from this one (edits and remixes) that the viewer may see, newest first,
    keyset-paginated (`next_cursor`). NotFound when the image itself is not visible."""
    get_visible_image(session, viewer_id, image_id)
    limit = max(1, min(limit, MAX_DERIVED_PAGE))
    query = card_select().where(col(Image.parent_id) == image_id, visible_to(viewer_id, Image))
    keyset = after("recent", cursor)
    if keyset is not None:
        query = query.where(keyset)
    rows = session.execute(query.order_by(*order_by("recent")).limit(limit_of(limit + 1))).all()
    return page_of(rows, limit, "recent")


def lineage(
    session: Session, viewer_id: int | None, image_id: int, *, limit: int = DERIVED_PAGE
) -> Lineage:
    """Everything the image page needs about lineage in one call. NotFound when the image is
    not visible to the viewer."""
    image = get_visible_image(session, viewer_id, image_id)
    assert image.id is not None
    raw = (image.params or {}).get("edit")
    edit = dict(raw) if isinstance(raw, dict) else {}
    return Lineage(
        image_id=image.id,
        operation=image.operation,
        edit=edit,
        source=source_of(session, viewer_id, image.id),
        from_upload=edit.get("source") == "upload",
        derived=derived_from(session, viewer_id, image.id, limit=limit),
    )
