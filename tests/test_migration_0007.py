"""Migration 0007 on a database that already holds accounts: Google accounts count as
verified, password accounts do not; the downgrade drops what it added."""

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

CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    yield from database_at(request.param, tmp_path, "0006")


def test_google_accounts_are_verified_password_accounts_are_not(
    at_0006: tuple[str, Engine],
) -> None:
    url, engine = at_0006
    with engine.begin() as conn:
        for user_id, name in ((1, "pw"), (2, "google"), (3, "moved")):
            conn.execute(
                text(
                    "INSERT INTO user_account (id, username, email, credits, is_admin,"
                    " default_private, created_at) VALUES (:id, :n, :e, 0, false, false, :t)"
                ),
                {"id": user_id, "n": name, "e": f"{name}@example.com", "t": CREATED},
            )
        # Google's address is the account's: proven. Another address: proves nothing here.
        for user_id, email in ((2, "google@example.com"), (3, "elsewhere@example.com")):
            conn.execute(
                text(
                    "INSERT INTO oauth_account (user_id, provider, subject, email, created_at)"
                    " VALUES (:u, 'google', :s, :e, :t)"
                ),
                {"u": user_id, "s": f"sub-{user_id}", "e": email, "t": CREATED},
            )
    upgrade(url, "0007")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, email_verified_at IS NOT NULL FROM user_account ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [(1, False), (2, True), (3, False)]
    assert "account_token" in inspect(engine).get_table_names()

    command.downgrade(alembic_config(url), "0006")
    engine.dispose()
    insp = inspect(engine)
    assert "account_token" not in insp.get_table_names()
    assert "email_verified_at" not in {c["name"] for c in insp.get_columns("user_account")}
