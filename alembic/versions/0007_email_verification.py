"""email verification and password reset: user_account.email_verified_at, account_token

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:30:00.000000

- user_account.email_verified_at: nullable. Accounts whose Google identity carries the same
  address count as verified (Google only links identities whose email it verified).
- account_token: single-use links sent by mail (verify an address, reset a password); only
  the SHA-256 of the secret is stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = sqlmodel.sql.sqltypes.UTCDateTime
_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode (see 0004).
    op.add_column("user_account", sa.Column("email_verified_at", _DT(), nullable=True))
    op.execute(
        "UPDATE user_account SET email_verified_at = created_at WHERE EXISTS ("
        "SELECT 1 FROM oauth_account o WHERE o.user_id = user_account.id "
        "AND o.email = user_account.email)"
    )
    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", _STR(length=16), nullable=False),
        sa.Column("token_hash", _STR(length=64), nullable=False),
        sa.Column("email", _STR(length=320), nullable=False),
        sa.Column("created_at", _DT(), nullable=False),
        sa.Column("expires_at", _DT(), nullable=False),
        sa.Column("used_at", _DT(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_account_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_token_token_hash")),
    )
    op.create_index(op.f("ix_account_token_user_id"), "account_token", ["user_id"])


def downgrade() -> None:
    op.drop_table("account_token")
    op.drop_column("user_account", "email_verified_at")
