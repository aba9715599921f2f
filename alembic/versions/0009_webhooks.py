"""webhooks: API users' endpoints and their delivery log (issue 15)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:50:00.000000

- webhook: a user's endpoint (URL, events, the salt its signing secret is derived from).
- webhook_delivery: one event for one endpoint, with its attempts, next attempt, last status
  and error. Every foreign key is indexed: webhook_id and user_id lead a (.., created_at)
  index each (the delivery log pages on them), and (status, next_attempt_at) finds the
  deliveries whose retry is due.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = sqlmodel.sql.sqltypes.UTCDateTime
_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("url", _STR(length=2000), nullable=False),
        sa.Column("events", _STR(length=200), nullable=False),
        sa.Column("secret_salt", _STR(length=64), nullable=False),
        sa.Column("created_at", _DT(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webhook_user_id_user_account"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_index(op.f("ix_webhook_user_id"), "webhook", ["user_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", _STR(length=40), nullable=False),
        sa.Column("event", _STR(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", _STR(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _DT(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", _STR(length=500), nullable=True),
        sa.Column("created_at", _DT(), nullable=False),
        sa.Column("delivered_at", _DT(), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_webhook"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_webhook_delivery_user_id_user_account"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("event_id", name=op.f("uq_webhook_delivery_event_id")),
    )
    op.create_index(
        "ix_webhook_delivery_webhook_id_created_at",
        "webhook_delivery",
        ["webhook_id", "created_at"],
    )
    op.create_index(
        "ix_webhook_delivery_user_id_created_at", "webhook_delivery", ["user_id", "created_at"]
    )
    op.create_index(
        "ix_webhook_delivery_status_next_attempt_at",
        "webhook_delivery",
        ["status", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_status_next_attempt_at", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_user_id_created_at", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_webhook_id_created_at", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index(op.f("ix_webhook_user_id"), table_name="webhook")
    op.drop_table("webhook")
