"""accounts and moderation: suspension, deletion tombstones, audit log, reports, account jobs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:00:00.000000

- user_account.suspended_at / deleted_at: nullable, no default. A deleted account stays as an
  anonymised tombstone row so the credit ledger that references it survives and still sums.
- audit_log: append-only admin/account actions (actor SET NULL so history outlives the actor).
- report: one per reporter per item, moderation queue read by (status, created_at).
- account_job: data exports and account deletions run by the queue.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = sqlmodel.sql.sqltypes.UTCDateTime
_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: copying user_account on SQLite would cascade its
    # DROP into every table that references it (see 0002/0003).
    op.add_column("user_account", sa.Column("suspended_at", _DT(), nullable=True))
    op.add_column("user_account", sa.Column("deleted_at", _DT(), nullable=True))
    suspended = sa.text("suspended_at IS NOT NULL")
    op.create_index("ix_user_account_suspended", "user_account", ["id"],
                    postgresql_where=suspended, sqlite_where=suspended)  # fmt: skip

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", _STR(length=64), nullable=False),
        sa.Column("target_type", _STR(length=32), nullable=False),
        sa.Column("target_id", _STR(length=64), nullable=False),
        sa.Column("reason", _STR(length=500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", _DT(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_audit_log_actor_id_user_account"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_actor_id"), "audit_log", ["actor_id"])
    op.create_index(op.f("ix_audit_log_created_at"), "audit_log", ["created_at"])
    op.create_index("ix_audit_log_target_type_target_id", "audit_log",
                    ["target_type", "target_id"])  # fmt: skip

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("target_type", _STR(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("reason", _STR(length=500), nullable=False),
        sa.Column("status", _STR(length=16), nullable=False),
        sa.Column("created_at", _DT(), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", _DT(), nullable=True),
        sa.CheckConstraint(
            "target_type IN ('image', 'comment', 'user')", name=op.f("ck_report_target_type")
        ),  # fmt: skip
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'dismissed')", name=op.f("ck_report_status")
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["user_account.id"],
            name=op.f("fk_report_reporter_id_user_account"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["user_account.id"],
            name=op.f("fk_report_resolved_by_user_account"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint(
            "reporter_id",
            "target_type",
            "target_id",
            name=op.f("uq_report_reporter_id_target_type_target_id"),
        ),  # fmt: skip
    )
    op.create_index(op.f("ix_report_resolved_by"), "report", ["resolved_by"])
    op.create_index("ix_report_status_created_at", "report", ["status", "created_at"])
    op.create_index("ix_report_target_type_target_id", "report", ["target_type", "target_id"])

    op.create_table(
        "account_job",
        sa.Column("id", _STR(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", _STR(length=16), nullable=False),
        sa.Column("status", _STR(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", _STR(length=1000), nullable=True),
        sa.Column("result_key", _STR(length=255), nullable=True),
        sa.Column("created_at", _DT(), nullable=False),
        sa.Column("finished_at", _DT(), nullable=True),
        sa.Column("expires_at", _DT(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_account_job_user_id_user_account"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_job")),
    )
    op.create_index("ix_account_job_user_id_created_at", "account_job", ["user_id", "created_at"])
    op.create_index(op.f("ix_account_job_expires_at"), "account_job", ["expires_at"])


def downgrade() -> None:
    op.drop_table("account_job")  # drops its indexes with it
    op.drop_table("report")
    op.drop_table("audit_log")
    op.drop_index("ix_user_account_suspended", table_name="user_account")
    op.drop_column("user_account", "deleted_at")  # SQLite >= 3.35 drops columns in place
    op.drop_column("user_account", "suspended_at")
