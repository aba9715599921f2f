"""Migration 0003 on a database that already holds images: backfill, full-text, downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from alembic import command
from pixel_studio.migrations import alembic_config, upgrade
from pixel_studio.models import hot_score
from tests.db_fixtures import database_at

CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0002(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    yield from database_at(request.param, tmp_path, "0002")


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (id, username, email, credits, is_admin,"
                " default_private, created_at) VALUES (1, 'old', 'old@example.com', 0, false,"
                " false, :t)"
            ),
            {"t": CREATED},
        )
        conn.execute(
            text(
                "INSERT INTO generation_job (id, user_id, params, status, done, total,"
                " credits_charged, credits_refunded, attempts, created_at)"
                " VALUES ('j1', 1, '{}', 'succeeded', 2, 2, 2, 0, 0, :t)"
            ),
            {"t": CREATED},
        )
        conn.execute(
            text(
                "INSERT INTO image_set (id, user_id, job_id, prompt, model, params, created_at)"
                " VALUES (1, 1, 'j1', 'foxes', 'm', '{}', :t)"
            ),
            {"t": CREATED},
        )
        for image_id, params, likes in ((1, '{"style": "vivid"}', 9), (2, "{}", 0)):
            conn.execute(
                text(
                    "INSERT INTO image (id, user_id, set_id, prompt, model, params, width,"
                    " height, private, original_key, thumbnail_key, like_count,"
                    " comment_count, created_at) VALUES (:id, 1, 1, 'two running foxes', 'm',"
                    " :params, 8, 8, false, 'o', 't', :likes, 0, :t)"
                ),
                {"id": image_id, "params": params, "likes": likes, "t": CREATED},
            )


def _search(engine: Engine, word: str) -> list[int]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            sql = "SELECT id FROM image WHERE search @@ websearch_to_tsquery('english', :q)"
        else:
            sql = "SELECT rowid FROM image_fts WHERE image_fts MATCH :q"
            word = f'"{word}"'
        return sorted(conn.execute(text(sql + " ORDER BY 1"), {"q": word}).scalars())


def test_upgrade_backfills_existing_images_and_indexes_them(at_0002: tuple[str, Engine]) -> None:
    url, engine = at_0002
    _seed(engine)
    upgrade(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, style, hot FROM image ORDER BY id")).all()
    assert [(r[0], r[1]) for r in rows] == [(1, "vivid"), (2, None)]
    assert rows[0][2] == pytest.approx(hot_score(9, CREATED), abs=1e-9)
    assert rows[1][2] == pytest.approx(hot_score(0, CREATED), abs=1e-9)
    assert _search(engine, "fox") == [1, 2]  # stemmed: "foxes" was stored
    # The index follows later writes (trigger / generated column).
    with engine.begin() as conn:
        conn.execute(text("UPDATE image SET title = 'Badger dawn' WHERE id = 2"))
        conn.execute(text("DELETE FROM image WHERE id = 1"))
    assert _search(engine, "badger") == [2]
    assert _search(engine, "fox") == [2]


def test_downgrade_then_upgrade_again(at_0002: tuple[str, Engine]) -> None:
    url, engine = at_0002
    _seed(engine)
    upgrade(url)
    command.downgrade(alembic_config(url), "0002")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM image")).scalar_one() == 2
    upgrade(url)
    assert _search(engine, "running") == [1, 2]
