"""db.read_session / db.read and the PostgreSQL pool's checkout: what a pure read costs the
database (no BEGIN, no ROLLBACK, no ping on a recently used connection) and that a dead
connection is still replaced, not handed to a request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio import db
from tests.db_fixtures import PG_ADMIN_URL, migrated_engine


@pytest.fixture(scope="module")
def pg_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from migrated_engine("postgresql", tmp_path_factory.mktemp("pg"))


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _read_pid(engine: Engine) -> int:
    """The server process behind the connection reads were last given (the read pool's)."""
    return int(db.read(lambda s: s.execute(text("SELECT pg_backend_pid()")).scalar_one(), engine))


def _kill(pid: int) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # wait until the server has ended it
            gone = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if gone.fetchone() is None:
                return


def test_read_session_opens_no_transaction(engine: Engine) -> None:
    # No BEGIN is sent, so the server is idle (not "in transaction") while the session reads,
    # and there is nothing to roll back at close.
    with db.read_session(engine) as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
        raw: Any = session.connection().connection.driver_connection
        if engine.dialect.name == "postgresql":
            assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        else:
            assert raw.in_transaction is False
    with Session(engine) as session:  # the default session does open one (for contrast)
        session.execute(text("SELECT 1"))
        raw = session.connection().connection.driver_connection
        if engine.dialect.name == "postgresql":
            assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_read_session_leaves_the_pooled_connection_transactional(engine: Engine) -> None:
    with db.read_session(engine) as session:
        session.execute(text("SELECT 1"))
    with db.session_scope(engine) as session:  # likely the same pooled connection
        session.execute(text("SELECT 1"))
        raw: Any = session.connection().connection.driver_connection
        if engine.dialect.name == "postgresql":
            assert raw.autocommit is False
            assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS


def test_recently_used_connection_is_not_pinged(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[int] = []
    dialect = db.reader(pg_engine).dialect
    original = dialect.do_ping

    def counting(conn: Any) -> bool:
        pings.append(1)
        return original(conn)

    monkeypatch.setattr(dialect, "do_ping", counting)
    for _ in range(3):
        db.read(lambda s: s.execute(text("SELECT 1")).scalar_one(), pg_engine)
    assert pings == []
    monkeypatch.setattr(db, "PING_IDLE_AFTER", 0.0)  # as if it had idled in the pool
    db.read(lambda s: s.execute(text("SELECT 1")).scalar_one(), pg_engine)
    assert pings == [1]


def test_idle_dead_connection_is_replaced_at_checkout(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _backend_pid(pg_engine)
    _kill(pid)
    monkeypatch.setattr(db, "PING_IDLE_AFTER", 0.0)  # as if it had idled in the pool
    with db.session_scope(pg_engine) as session:  # a write path: no retry, the ping saves it
        assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_read_retries_once_on_a_connection_dead_mid_use(pg_engine: Engine) -> None:
    pid = _read_pid(pg_engine)  # used a moment ago: no ping at checkout
    _kill(pid)
    calls: list[int] = []

    def load(session: Session) -> int:
        calls.append(1)
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())

    assert db.read(load, pg_engine) != pid
    assert len(calls) == 2


def test_read_does_not_retry_other_errors(engine: Engine) -> None:
    calls: list[int] = []

    def load(session: Session) -> None:
        calls.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(Exception, match="no_such_table"):
        db.read(load, engine)
    assert len(calls) == 1


def test_sqlite_engine_keeps_its_pragmas(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read_session(engine) as session:
        assert session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_engine_has_no_pre_ping_but_recycles(pg_engine: Engine) -> None:
    reads = db.reader(pg_engine)
    for engine in (pg_engine, reads):
        assert engine.pool._pre_ping is False  # type: ignore[attr-defined]
        assert engine.pool._recycle == db.POOL_RECYCLE  # type: ignore[attr-defined]
    counted: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
        counted.append(statement)

    event.listen(reads, "before_cursor_execute", count)
    try:
        db.read(lambda s: s.execute(text("SELECT 1")).all(), pg_engine)
    finally:
        event.remove(reads, "before_cursor_execute", count)
    assert counted == ["SELECT 1"]  # no ping statement before it, no BEGIN, no ROLLBACK


def test_reads_have_a_pool_of_autocommit_connections_disposed_with_the_engine(
    tmp_path: Path,
) -> None:
    for engine in migrated_engine("postgresql", tmp_path):
        reads = db.reader(engine)
        assert db.reader(engine) is reads and reads.url == engine.url
        with db.read_session(engine) as session:
            raw: Any = session.connection().connection.driver_connection
            assert raw.autocommit is True
        with db.session_scope(engine) as session:
            raw = session.connection().connection.driver_connection
            assert raw.autocommit is False  # writes keep their transactions
        pool: Any = reads.pool
        assert pool.checkedin() == 1
        engine.dispose()
        assert pool.checkedin() == 0 and reads.pool is not pool  # closed and replaced
