"""Migration 0005 (edit lineage) on a database that already holds images: every existing image
becomes a "text" image, remix links survive, deleting a source keeps what was made from it,
and the downgrade drops the column again. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from alembic import command
from pixel_studio.migrations import alembic_config, upgrade
from tests.db_fixtures import database_at


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0004(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    yield from database_at(request.param, tmp_path, "0004")


def _seed(engine: Engine) -> None:
    t = {"t": datetime(2026, 11, 1, 12, 0, tzinfo=UTC)}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (id, username, email, credits, is_admin,"
                " default_private, created_at) VALUES (1, 'old', 'o@example.com', 0,"
                " false, false, :t)"
            ),
            t,
        )
        conn.execute(
            text(
                "INSERT INTO generation_job (id, user_id, params, status, done, total,"
                " credits_charged, credits_refunded, attempts, created_at) VALUES"
                " ('j1', 1, '{}', 'succeeded', 2, 2, 2, 0, 0, :t)"
            ),
            t,
        )
        conn.execute(
            text(
                "INSERT INTO image_set (id, user_id, job_id, prompt, model, params,"
                " created_at) VALUES (1, 1, 'j1', 'foxes', 'm', '{}', :t)"
            ),
            t,
        )
        for image_id, parent in ((1, None), (2, 1)):
            conn.execute(
                text(
                    "INSERT INTO image (id, user_id, set_id, prompt, model, params, width,"
                    " height, private, original_key, thumbnail_key, like_count, comment_count,"
                    " created_at, hot, parent_id) VALUES (:id, 1, 1, 'foxes', 'm', '{}', 8, 8,"
                    " false, 'o', 't', 0, 0, :t, 1.0, :parent)"
                ),
                {**t, "id": image_id, "parent": parent},
            )


def test_existing_images_become_text_images_and_lineage_holds(
    at_0004: tuple[str, Engine],
) -> None:
    url, engine = at_0004
    _seed(engine)  # image 1, and image 2 remixed from it
    upgrade(url, "0005")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT id, operation, parent_id FROM image ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "text", None), (2, "text", 1)]
        conn.execute(text("UPDATE image SET operation = 'upscale' WHERE id = 2"))
        conn.execute(text("DELETE FROM image WHERE id = 1"))
        kept = conn.execute(text("SELECT id, operation, parent_id FROM image")).all()
        assert [tuple(r) for r in kept] == [(2, "upscale", None)]
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("image")}
    assert "ix_image_parent_id_created_at_id" in indexes

    command.downgrade(alembic_config(url), "0004")
    engine.dispose()
    columns = {c["name"] for c in inspect(engine).get_columns("image")}
    assert "operation" not in columns and "parent_id" in columns
