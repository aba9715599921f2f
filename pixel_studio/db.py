"""The database engine and sessions. One engine per process, built from settings."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from pixel_studio.settings import get_settings


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime columns store and return it the same on every database."""
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # No pool_pre_ping: it is a round trip on every checkout, as long as the query of a cached
    # read itself. A connection is pinged only when it sat idle for PING_IDLE_AFTER seconds
    # (a server restart or a dropped socket happens while it waits in the pool), pool_recycle
    # bounds its age, and read() retries a read once on a connection found dead mid-use.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=POOL_RECYCLE)
    _ping_when_idle(engine)
    return engine


READ_POOL_SIZE, READ_POOL_OVERFLOW = 5, 15  # the read pool's; the main one keeps 10 + 20
PING_IDLE_AFTER = 10.0  # seconds in the pool after which a checkout pings first
POOL_RECYCLE = 1800  # seconds: a connection older than this is replaced on checkout


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_IDLE_AFTER:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception:
            alive = False
        if not alive:  # the pool discards it and checks out (or opens) another
            raise DisconnectionError("connection found dead after idling in the pool")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().resolved_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session for a request that only reads: its statements run in autocommit, so reading
    costs no BEGIN and no ROLLBACK round trip (PostgreSQL). Each statement sees its own
    snapshot; use session_scope() when several reads must agree or anything is written."""
    with (
        reader(engine or get_engine()).connect() as conn,
        Session(conn, expire_on_commit=False) as session,
    ):
        yield session


_readers: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()
_readers_lock = threading.Lock()


def reader(engine: Engine) -> Engine:
    """The engine read sessions connect through: its connections are in autocommit.

    On PostgreSQL it has a pool of its own, whose connections are autocommit from birth.
    Switching a pooled connection of `engine` into autocommit at checkout and back at checkin
    (`execution_options(isolation_level=...)`, as this did before) cost ~40 µs a read, a sixth
    of a cold image page (bench/discovery.py, 2026-12-03); nothing is reset at checkin either,
    since an autocommit connection holds no transaction. It is disposed with `engine`.
    Elsewhere (SQLite) it shares `engine`'s pool and switches per connection."""
    if engine.dialect.name != "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    with _readers_lock:
        found = _readers.get(engine)
        if found is None:
            found = _readers[engine] = create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_reset_on_return=None,
                pool_size=READ_POOL_SIZE,
                max_overflow=READ_POOL_OVERFLOW,
                pool_recycle=POOL_RECYCLE,
            )
            _ping_when_idle(found)
            event.listen(engine, "engine_disposed", lambda _e, pool=found: pool.dispose())
        return found


T = TypeVar("T")


def read(
    load: Callable[[Session], T],
    engine: Engine | None = None,
    *,
    sessions: Callable[[], AbstractContextManager[Session]] | None = None,
) -> T:
    """load(session) in a read_session, run again once on a fresh connection if the first
    was found dead mid-use (a server restart within PING_IDLE_AFTER of its last use): a read
    changes nothing, so running it twice is safe. `sessions`: another session factory (an
    API route's, which tests override)."""
    opened = sessions or (lambda: read_session(engine))
    try:
        with opened() as session:
            return load(session)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    with opened() as session:
        return load(session)
