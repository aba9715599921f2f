"""payments reversal: refunds and disputes take credits back; deleted owners are hidden

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:30:00.000000

- stripe_payment: one row per credited Checkout payment (user, credits, amount, currency, its
  PaymentIntent), so `charge.refunded` / `charge.dispute.created` find what to take back.
- user_account `credits >= 0` and credit_transaction `balance_after >= 0` checks dropped: a
  reversal may leave a balance below zero (debits still refuse to pass zero in the UPDATE).
  On SQLite a CHECK can only go by rewriting the table's stored CREATE statement: copying the
  table (batch mode) would cascade its DROP into every table that references user_account.
  SQLite documents this edit as safe ("Making Other Kinds Of Table Schema Changes": removing
  a CHECK constraint does not change what is on disk).
- ix_user_account_deleted: partial index, like ix_user_account_suspended, for the visibility
  rule, which now hides deleted owners' things as well as suspended owners'.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = sqlmodel.sql.sqltypes.UTCDateTime
_STR = sqlmodel.sql.sqltypes.AutoString
_CHECKS = (
    ("user_account", "ck_user_account_credits_not_negative", "credits >= 0"),
    ("credit_transaction", "ck_credit_transaction_balance_after_not_negative", "balance_after >= 0"),
)


def _sqlite_rewrite(table: str, edit: "re.Pattern[str]", replacement: str) -> None:
    conn = op.get_bind()
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    new_sql, count = edit.subn(replacement, sql)
    if count == 0:
        return  # already without (or with) it: nothing to do
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (new_sql, table)
    )
    # A new schema version makes every open connection re-read the definitions.
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, name, _check in _CHECKS:
        if sqlite:
            pattern = re.compile(rf",\s*CONSTRAINT {name} CHECK \([^)]*\)")
            _sqlite_rewrite(table, pattern, "")
        else:
            op.drop_constraint(op.f(name), table, type_="check")

    deleted = sa.text("deleted_at IS NOT NULL")
    op.create_index("ix_user_account_deleted", "user_account", ["id"],
                    postgresql_where=deleted, sqlite_where=deleted)  # fmt: skip

    op.create_table(
        "stripe_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("checkout_session_id", _STR(length=255), nullable=False),
        sa.Column("payment_intent_id", _STR(length=255), nullable=True),
        sa.Column("pack_id", _STR(length=32), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("amount_total", sa.Integer(), nullable=False),
        sa.Column("currency", _STR(length=3), nullable=False),
        sa.Column("credits_reversed", sa.Integer(), nullable=False),
        sa.Column("created_at", _DT(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_stripe_payment_user_id_user_account"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_payment")),
        sa.UniqueConstraint("checkout_session_id", name=op.f("uq_stripe_payment_checkout_session_id")),
        sa.UniqueConstraint("payment_intent_id", name=op.f("uq_stripe_payment_payment_intent_id")),
    )
    op.create_index(op.f("ix_stripe_payment_user_id"), "stripe_payment", ["user_id"])


def downgrade() -> None:
    # Refused while a balance is below zero: settle those first. Asked before anything changes
    # (SQLite's DDL here is not transactional, and its rewrite would not check the rows).
    conn = op.get_bind()
    for table, _name, check in _CHECKS:
        column = check.split()[0]
        negative = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table} WHERE {column} < 0"
        ).scalar_one()
        if negative:
            raise RuntimeError(f"{negative} rows of {table} have {column} below zero.")
    op.drop_index(op.f("ix_stripe_payment_user_id"), table_name="stripe_payment")
    op.drop_table("stripe_payment")
    op.drop_index("ix_user_account_deleted", table_name="user_account")
    sqlite = conn.dialect.name == "sqlite"
    for table, name, check in _CHECKS:
        if sqlite:
            pattern = re.compile(r"(CONSTRAINT pk_\w+ PRIMARY KEY \(id\))")
            _sqlite_rewrite(table, pattern, rf"\1, \n\tCONSTRAINT {name} CHECK ({check})")
        else:
            op.create_check_constraint(op.f(name), table, check)
