"""The migration history builds the schema the models describe, on SQLite and PostgreSQL.

Each test run upgrades a brand-new, empty database of each kind (not the shared `engine`
fixture, which other tests fill), then reads the result back through SQLAlchemy's inspector.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import pixel_studio.models  # noqa: F401  (registers every table on SQLModel.metadata)
from pixel_studio.migrations import alembic_config, include_object, upgrade
from tests.db_fixtures import migrated_engine

EXPECTED_TABLES = {
    "user_account",
    "oauth_account",
    "user_session",
    "api_token",
    "generation_job",
    "image_set",
    "image",
    "image_like",
    "comment",
    "comment_like",
    "collection",
    "collection_image",
    "follow",
    "credit_transaction",
    "stripe_event",
    "notification",
    "audit_log",
    "report",
    "account_job",
    "stripe_payment",
    "account_token",
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """An empty database of each kind, upgraded to head by the real migration history."""
    yield from migrated_engine(request.param, tmp_path_factory.mktemp("migrations"))


def _unique_sets(engine: Engine, table: str) -> set[tuple[str, ...]]:
    """Column tuples that are unique in `table`: unique constraints plus unique indexes."""
    insp = inspect(engine)
    found = {tuple(uc["column_names"]) for uc in insp.get_unique_constraints(table)}
    found |= {
        tuple(c for c in ix["column_names"] if c is not None)
        for ix in insp.get_indexes(table)
        if ix.get("unique")
    }
    return found


def test_upgrade_creates_every_table(migrated: Engine) -> None:
    tables = set(inspect(migrated).get_table_names())
    assert tables >= EXPECTED_TABLES
    assert "alembic_version" in tables
    # Every model table exists: a model added without a migration would show up here.
    assert set(SQLModel.metadata.tables) <= tables


def test_schema_is_at_the_newest_revision(migrated: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migration history has branched: {heads}"
    with migrated.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("user_account", ("username",)),
        ("user_account", ("email",)),
        ("oauth_account", ("provider", "subject")),
        ("collection_image", ("collection_id", "image_id")),
        ("stripe_event", ("event_id",)),
        ("credit_transaction", ("stripe_event_id",)),
        ("user_session", ("token_hash",)),
        ("api_token", ("token_hash",)),
        ("report", ("reporter_id", "target_type", "target_id")),
    ],
)
def test_unique_constraints(migrated: Engine, table: str, columns: tuple[str, ...]) -> None:
    assert columns in _unique_sets(migrated, table)


@pytest.mark.parametrize(
    ("table", "columns"),
    [("image_like", ["user_id", "image_id"]), ("follow", ["follower_id", "followee_id"])],
)
def test_pair_tables_have_the_pair_as_primary_key(
    migrated: Engine, table: str, columns: list[str]
) -> None:
    assert inspect(migrated).get_pk_constraint(table)["constrained_columns"] == columns


def test_money_checks_allow_a_reversed_purchase_below_zero(migrated: Engine) -> None:
    """Migration 0005 dropped `credits >= 0` / `balance_after >= 0`: a refund or dispute takes
    bought credits back even when spent (services/billing/payments.py). Debits still refuse to pass
    zero in their conditional UPDATE (tests/services/test_credits.py)."""
    insp = inspect(migrated)
    user_checks = " ".join(c["sqltext"] for c in insp.get_check_constraints("user_account"))
    assert "credits >= 0" not in user_checks
    ledger_checks = " ".join(c["sqltext"] for c in insp.get_check_constraints("credit_transaction"))
    assert "balance_after >= 0" not in ledger_checks
    with migrated.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO user_account (username, email, credits, is_admin, default_private,"
                " created_at) VALUES ('ck_user', 'ck@example.com', 3, false, false,"
                " CURRENT_TIMESTAMP)"
            )
        )
    try:
        with migrated.begin() as conn:
            conn.execute(text("UPDATE user_account SET credits = -1 WHERE username = 'ck_user'"))
        with migrated.connect() as conn:
            credits = conn.execute(
                text("SELECT credits FROM user_account WHERE username = 'ck_user'")
            ).scalar_one()
        assert credits == -1
    finally:
        with migrated.begin() as conn:
            conn.execute(text("DELETE FROM user_account WHERE username = 'ck_user'"))


def test_every_foreign_key_leads_an_index(migrated: Engine) -> None:
    """A foreign key without an index makes joins and ON DELETE CASCADE scan the whole table.

    A unique constraint counts: both databases enforce one with a unique index."""
    insp = inspect(migrated)
    missing: list[str] = []
    for table in insp.get_table_names():
        leading: set[str] = set()
        pk = insp.get_pk_constraint(table)["constrained_columns"]
        if pk:
            leading.add(pk[0])
        for ix in insp.get_indexes(table):
            if ix["column_names"] and ix["column_names"][0] is not None:
                leading.add(ix["column_names"][0])
        for uc in insp.get_unique_constraints(table):
            leading.add(uc["column_names"][0])
        for fk in insp.get_foreign_keys(table):
            first = fk["constrained_columns"][0]
            if first not in leading:
                missing.append(f"{table}.{first} -> {fk['referred_table']}")
    assert not missing, f"foreign keys without an index: {missing}"


def test_feed_keyset_index_on_image(migrated: Engine) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(migrated).get_indexes("image")}
    assert ["created_at", "id"] in indexes.values(), indexes


def _describe(diff: list[Any]) -> list[str]:
    return [repr(d) for d in diff]


def test_models_and_migrations_agree(migrated: Engine) -> None:
    """Autogenerate against the migrated database finds nothing to do."""
    with migrated.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "target_metadata": SQLModel.metadata,
                # as alembic/env.py: the full-text objects are raw SQL (migration 0003)
                "include_object": include_object,
            },
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], (
        "models differ from the migrations; run `alembic revision --autogenerate`:\n"
        + ("\n".join(_describe(diff)))
    )


def test_upgrade_is_repeatable(migrated: Engine) -> None:
    """`make run` upgrades at every start: on a database at head it must do nothing."""
    url = migrated.url.render_as_string(hide_password=False)
    upgrade(url)
    assert set(inspect(migrated).get_table_names()) >= EXPECTED_TABLES
