"""Migration 0008 on a database that already holds accounts, images and a ledger: the money
checks go without copying user_account (whose DROP would cascade into every child table),
stripe_payment appears, and the downgrade puts the checks back (refused while a balance is
below zero)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from alembic import command
from pixel_studio.migrations import alembic_config, upgrade
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings
from tests.db_fixtures import database_at
from tests.services.social_helpers import make_image

CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHILD_TABLES = ("user_session", "credit_transaction", "generation_job", "image_set", "image")


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    yield from database_at(request.param, tmp_path, "0007")


def _seed(engine: Engine) -> None:
    with Session(engine) as session:
        user = users.create_user(session, "old", "old@example.com", "correct horse", bonus=5)
        session.commit()
        auth.create_session(session, user.id or 0, Settings(_env_file=None))  # type: ignore[call-arg]
        session.commit()
        make_image(session, user.id or 0)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("user_account", *CHILD_TABLES)
        }


def test_upgrade_keeps_every_row_and_allows_a_negative_balance(
    at_0007: tuple[str, Engine],
) -> None:
    url, engine = at_0007
    _seed(engine)
    before = _counts(engine)
    assert all(before.values()), before
    upgrade(url)
    engine.dispose()  # a fresh connection reads the rewritten schema
    assert _counts(engine) == before
    assert "stripe_payment" in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text("UPDATE user_account SET credits = -7 WHERE id = 1"))
        conn.execute(
            text(
                "INSERT INTO credit_transaction (user_id, amount, kind, balance_after, note,"
                " created_at) VALUES (1, -12, 'reversal', -7, '', :t)"
            ),
            {"t": CREATED},
        )
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []

    # Down again: refused while the balance is negative, then the checks come back.
    with pytest.raises(Exception, match="below zero"):
        command.downgrade(alembic_config(url), "0007")
    engine.dispose()
    with engine.begin() as conn:
        conn.execute(text("UPDATE user_account SET credits = 0 WHERE id = 1"))
        conn.execute(text("DELETE FROM credit_transaction WHERE kind = 'reversal'"))
    command.downgrade(alembic_config(url), "0007")
    engine.dispose()
    assert "stripe_payment" not in inspect(engine).get_table_names()
    checks = " ".join(c["sqltext"] for c in inspect(engine).get_check_constraints("user_account"))
    assert "credits >= 0" in checks
    assert _counts(engine) == {**before, "credit_transaction": before["credit_transaction"]}
