"""SQL the social services share: idempotent inserts and exact counters.

Counts (likes, comments) are kept exact without read-modify-write: the row change is an
`INSERT .. ON CONFLICT DO NOTHING` (or a DELETE) whose rowcount says whether anything changed,
and only then one `UPDATE .. SET n = n + delta` runs, in the same transaction. Two concurrent
likes both insert or one finds the conflict; the counter moves exactly once per row either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Update, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from pixel_studio.models import Image
from pixel_studio.services.errors import NotFound
from pixel_studio.services.visibility import is_visible

Cursor = tuple[datetime, int]  # (created_at, id) of the last row shown: keyset pagination


def insert_ignore(session: Session, model: Any, values: dict[str, Any]) -> bool:
    """Insert one row unless it conflicts with a unique key; True if a row was written."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT's rowcount through SQLAlchemy.
    key = next(iter(model.__table__.primary_key.columns))
    return session.execute(stmt.returning(key)).first() is not None


def bump_counter(model: Any, column: str, row_id: int, delta: int) -> Update:
    """`UPDATE model SET column = column + delta WHERE id = row_id RETURNING column`."""
    field = getattr(model, column)
    return (
        update(model)
        .where(col(model.id) == row_id)
        .values({column: field + delta})
        .returning(field)
    )


def older_than(created_at: Any, row_id: Any, before: Cursor) -> ColumnElement[bool]:
    """Keyset condition: rows after `before` in (created_at DESC, id DESC) order."""
    return tuple_(created_at, row_id) < tuple_(*before)


def visible_image(session: Session, viewer_id: int | None, image_id: int) -> Image:
    """The image as it is now (not as this session last saw it), if the viewer may see it;
    NotFound otherwise, the same answer for private and missing."""
    image = session.get(Image, image_id, populate_existing=True)
    if image is None or not is_visible(viewer_id, image):
        raise NotFound("That image does not exist or is private.")
    return image
