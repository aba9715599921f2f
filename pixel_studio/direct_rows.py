"""The rows of a prebuilt Core SELECT, straight from psycopg on PostgreSQL (issue 15, part 7).

Explore's statements are built once per shape (services/social/explore.py, lru_cache), so all
SQLAlchemy does per call is overhead on the hottest cold read: the execution context, the
result metadata and a Row object per row came to ~180 µs of a ~510 µs page read, where
PostgreSQL itself takes ~330 µs (bench/discovery.py, 2026-12-03). Here the statement is
compiled once per dialect, and each call hands its SQL and values to the driver connection
the session already holds: the same connection, transaction and isolation, the same types
(SQLAlchemy's own bind and result processors, looked up once), tuples out.

Anything SQLAlchemy would have to judge goes back to it: a driver error re-runs the statement
through `connection.execute`, which raises what it always raises (a lost connection as
DBAPIError with `connection_invalidated`, so `db.read` retries it on a fresh one; and the pool
learns of it). SQLite, and any other database, takes `connection.execute` from the start.
Statement events (`before_cursor_execute`) do not see these reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


@dataclass
class _Plan:
    sql: str
    fixed: dict[str, Any]  # binds the statement carries a value for (constants)
    given: tuple[tuple[str, Processor | None], ...]  # binds each call's values supply
    # Columns whose type converts what psycopg reads; known at the first execution (some
    # processors depend on the column's type as PostgreSQL reports it).
    results: tuple[tuple[int, Processor], ...] | None = None


@lru_cache(maxsize=512)
def _plan(stmt: Select[Any], dialect: Dialect) -> _Plan | None:
    """None for a statement SQLAlchemy must render at each execution (an expanding IN)."""
    compiled = stmt.compile(dialect=dialect)
    sql = compiled.string
    # A `literal_execute` value (services/social/cards.limit_of: LIMIT) is written into the SQL,
    # as SQLAlchemy does at each of its own executions.
    for bind in compiled.literal_execute_params:
        literal = compiled.render_literal_value(bind.value, bind.type)
        sql = sql.replace(f"__[POSTCOMPILE_{compiled.bind_names[bind]}]", literal)
    if "__[POSTCOMPILE_" in sql:
        return None
    fixed: dict[str, Any] = {}
    given: list[tuple[str, Processor | None]] = []
    for name, bind in compiled.binds.items():
        if bind in compiled.literal_execute_params:
            continue
        process = bind.type._cached_bind_processor(dialect)
        if bind.required:
            given.append((name, process))
        else:
            value = bind.effective_value
            fixed[name] = process(value) if process else value
    return _Plan(sql, fixed, tuple(given))


def _result_processors(
    stmt: Select[Any], dialect: Dialect, cursor: psycopg.Cursor[Any]
) -> tuple[tuple[int, Processor], ...]:
    out = []
    codes = [d.type_code for d in cursor.description or ()]
    for i, (column, code) in enumerate(zip(stmt.selected_columns, codes, strict=True)):
        process = column.type._cached_result_processor(dialect, code)
        if process is not None:
            out.append((i, process))
    return tuple(out)


def _params(plan: _Plan, values: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(plan.fixed)
    for name, process in plan.given:
        params[name] = process(values[name]) if process else values[name]
    return params


def sql_and_params(
    stmt: Select[Any], dialect: Dialect, values: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """What select_rows sends the driver for these values (EXPLAIN in bench/discovery.py)."""
    plan = _plan(stmt, dialect)
    if plan is None:
        raise ValueError("this statement is rendered by SQLAlchemy at each execution")
    return plan.sql, _params(plan, values)


def select_rows(
    connection: Connection, stmt: Select[Any], values: Mapping[str, Any]
) -> Sequence[Sequence[Any]]:
    """`connection.execute(stmt, values).all()`, as tuples, without SQLAlchemy's per-call
    work on PostgreSQL. `stmt` must be a long-lived object (a cached statement): its compiled
    form is kept per statement."""
    plan = _plan(stmt, connection.dialect) if connection.dialect.name == "postgresql" else None
    if plan is None:
        return connection.execute(stmt, values).all()
    params = _params(plan, values)
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        cursor = driver.execute(plan.sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    except psycopg.Error:
        return connection.execute(stmt, values).all()  # SQLAlchemy's own error handling
    if plan.results is None:
        plan.results = _result_processors(stmt, connection.dialect, cursor)
    if not plan.results:
        return rows
    out = []
    for row in rows:
        converted = list(row)
        for i, process in plan.results:
            converted[i] = process(converted[i])
        out.append(converted)
    return out
