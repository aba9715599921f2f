"""Fresh databases for tests: a SQLite file and a PostgreSQL database, both at Alembic head.

The PostgreSQL database is created per test run and dropped at the end. It is never skipped:
if the server is down the tests fail, as they should in CI (.ci/run starts it).
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import psycopg
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel, text

from pixel_studio.db import make_engine
from pixel_studio.migrations import upgrade

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def create_pg_database() -> str:
    name = f"ps_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_sqlite(source: Path, target: Path) -> None:
    """A copy of the SQLite database `source` at `target`, through SQLite's backup API (whole
    and consistent whatever the journal mode): a fresh database at head costs milliseconds
    instead of a migration run (every revision, its commits each waiting on fsync)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def migrated_engine(kind: str, tmp_dir: Path) -> Iterator[Engine]:
    """Yield an engine on an empty database of `kind` upgraded to head; clean up after."""
    for _url, engine in database_at(kind, tmp_dir, "head"):
        yield engine


def database_at(kind: str, tmp_dir: Path, revision: str) -> Iterator[tuple[str, Engine]]:
    """Yield (url, engine) of an empty database of `kind` at `revision`: a migration's test
    fills it as the old schema was, then upgrades. Cleaned up after."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_dir / 'test.db'}"
        upgrade(url, revision)
        engine = make_engine(url)
        yield url, engine
        engine.dispose()
        return
    name = create_pg_database()
    try:
        url = pg_url(name)
        upgrade(url, revision)
        engine = make_engine(url)
        yield url, engine
        engine.dispose()
    finally:
        drop_pg_database(name)


# Sequences a test moved on, back to their start: ids begin at 1 in every test, as after
# TRUNCATE ... RESTART IDENTITY. One statement, whatever the number of sequences.
_RESTART_USED_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE last_value IS NOT NULL"
)


def _non_empty_tables(conn: Connection, tables: list[Table]) -> set[str]:
    """The names of the tables that hold a row, in one round trip."""
    probe = " UNION ALL ".join(
        f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
    )
    return {name for (name,) in conn.execute(text(probe))}


def wipe(engine: Engine) -> None:
    """Empty every table between tests (much faster than a new database each time).

    Only the tables a test wrote to are emptied, with DELETE, children first. On PostgreSQL
    TRUNCATE of every table took 0.3-1 s per test on a loaded 2-core machine (it swaps the
    files of each table and index); the probe and a few DELETEs take milliseconds."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))  # children before parents
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            used = _non_empty_tables(conn, tables)
            for table in tables:
                if table.name in used:
                    conn.execute(table.delete())
            conn.execute(_RESTART_USED_SEQUENCES)
        else:
            for table in tables:
                conn.execute(table.delete())
