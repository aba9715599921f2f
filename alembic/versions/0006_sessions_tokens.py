"""sessions list and scoped tokens: where and when a session was used, token expiry and scope

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:30:00.000000

- user_session.network / authenticated_at / last_seen_at: nullable. `network` is an IPv4 /24 or
  IPv6 /48 prefix, never the full address; `last_seen_at` is written at most every few minutes.
  Existing sessions count as authenticated when they were created (the closest truth we have).
- api_token.expires_at (nullable: never) and scope ("read" or "write"; existing tokens keep
  the full access they were made with).
Both tables already index their one foreign key (user_id), which every query here leads with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DT = sqlmodel.sql.sqltypes.UTCDateTime
_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode (see 0004): no table copy on SQLite.
    op.add_column("user_session", sa.Column("network", _STR(length=64), nullable=True))
    op.add_column("user_session", sa.Column("authenticated_at", _DT(), nullable=True))
    op.add_column("user_session", sa.Column("last_seen_at", _DT(), nullable=True))
    op.execute("UPDATE user_session SET authenticated_at = created_at")
    op.add_column("api_token", sa.Column("expires_at", _DT(), nullable=True))
    op.add_column(
        "api_token",
        sa.Column("scope", _STR(length=16), nullable=False, server_default="write"),
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place; no batch mode, as above.
    op.drop_column("api_token", "scope")
    op.drop_column("api_token", "expires_at")
    op.drop_column("user_session", "last_seen_at")
    op.drop_column("user_session", "authenticated_at")
    op.drop_column("user_session", "network")
