"""generation job lease; 64-bit image seeds on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: queued and finished jobs hold no lease. Plain ALTER TABLE on both
    # databases, never batch mode: on SQLite that copies the table, and dropping the old copy
    # would cascade into image_set and the ledger (they reference generation_job).
    op.add_column(
        "generation_job",
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    # Seeds reach 2**32 - 1, beyond PostgreSQL's 4-byte INTEGER. SQLite's INTEGER is already
    # 64-bit (the model keeps INTEGER there), and altering it would mean copying the image
    # table, whose DROP would cascade into likes and comments: so PostgreSQL only.
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("image", "seed", type_=sa.BigInteger(), existing_type=sa.Integer())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("image", "seed", type_=sa.Integer(), existing_type=sa.BigInteger())
    op.drop_column("generation_job", "lease_until")  # SQLite >= 3.35 drops columns in place
