"""pixel_studio/direct_rows.py: explore's statements straight through psycopg give what
SQLAlchemy's execute gives (types included), and a connection lost under them is still
SQLAlchemy's to judge, so db.read retries it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from pixel_studio import db, direct_rows
from pixel_studio.models import Image
from pixel_studio.services.social import explore
from pixel_studio.services.social.explore import ExploreQuery, _Shape
from tests.db_fixtures import migrated_engine
from tests.infra.test_db_reads import _kill, _read_pid
from tests.services.discovery_helpers import add_image
from tests.services.generation_helpers import make_user


@pytest.fixture(scope="module")
def pg_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from migrated_engine("postgresql", tmp_path_factory.mktemp("pg"))


def _cases() -> list[tuple[Select[Any], dict[str, Any]]]:
    since = db.utcnow() - timedelta(days=7)
    recent_after = _Shape("recent", False, False, False, True)
    trending = _Shape("trending", True, False, True, False)
    return [
        (explore._page_stmt(_Shape("recent", False, False, False, False), 3), {}),
        (explore._page_stmt(recent_after, 3), {"after_key": db.utcnow(), "after_id": 10**6}),
        (explore._page_stmt(trending, 3), {"model": "local-sketch", "since": since}),
        (explore._probe_stmt(_Shape("liked", False, True, False, False), 3),
         {"style": "ink", "terms": "fox"}),
        (explore._found_stmt(_Shape("recent", False, False, False, False), 3), {"terms": "fox"}),
    ]  # fmt: skip


def test_rows_and_types_match_sqlalchemy(pg_engine: Engine) -> None:
    with Session(pg_engine) as session:
        ann = make_user(session, "ann", 0)
        for i in range(5):
            image = session.get(Image, add_image(session, ann, f"a red fox {i}", likes=i))
            assert image is not None
            image.style = "ink" if i % 2 else None
        session.commit()
    with db.read_session(pg_engine) as session:
        connection = session.connection()
        for stmt, values in _cases():
            mine = [tuple(r) for r in direct_rows.select_rows(connection, stmt, values)]
            theirs = [tuple(r) for r in connection.execute(stmt, values).all()]
            assert mine and mine == theirs, stmt
            assert [[type(v) for v in r] for r in mine] == [[type(v) for v in r] for r in theirs]
        # created_at comes back aware, in UTC, as SQLAlchemy's type gives it
        first = direct_rows.select_rows(connection, *_cases()[0])[0]
        assert first[11].utcoffset() == timedelta(0)


def test_a_connection_lost_under_it_is_retried_by_read(pg_engine: Engine) -> None:
    pid = _read_pid(pg_engine)  # used a moment ago: handed out again without a ping
    _kill(pid)
    page = db.read(lambda s: explore.load_explore(s, ExploreQuery()), pg_engine)
    assert page.items  # the second attempt, on a fresh connection


def test_other_databases_take_sqlalchemy(tmp_path: Path) -> None:
    for engine in migrated_engine("sqlite", tmp_path):
        with db.read_session(engine) as session:
            stmt, values = _cases()[0]
            assert direct_rows.select_rows(session.connection(), stmt, values) == []


def test_a_statement_sqlalchemy_renders_per_call_stays_with_it(pg_engine: Engine) -> None:
    """An expanding IN is written out by SQLAlchemy at each execution: not planned here."""
    stmt = select(col(Image.id)).where(col(Image.id).in_(bindparam("ids", expanding=True)))
    with db.read_session(pg_engine) as session:
        connection, values = session.connection(), {"ids": [1, 10**6]}
        rows = direct_rows.select_rows(connection, stmt, values)
        assert [tuple(r) for r in rows] == [tuple(r) for r in connection.execute(stmt, values)]
    assert direct_rows._plan(stmt, pg_engine.dialect) is None
