"""edit lineage: an image's operation, and its derived images by source

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:30:00.000000

- image.operation: how the image was made ("text", "variation", "image-to-image", "inpaint",
  "outpaint", "upscale"); existing rows are "text". The source is the existing
  image.parent_id (nullable, indexed, ON DELETE SET NULL since 0001), which remixes already
  use; the operation's parameters live in image.params["edit"].
- ix_image_parent_id_created_at_id: the "made from this image" strip, newest first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain ADD COLUMN with a constant default, never batch mode (see 0002-0004): no table copy
    # on SQLite, and no rewrite of the table on PostgreSQL 11+.
    op.add_column(
        "image",
        sa.Column("operation", _STR(length=16), nullable=False, server_default="text"),
    )
    op.create_index(
        "ix_image_parent_id_created_at_id", "image", ["parent_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_image_parent_id_created_at_id", table_name="image")
    op.drop_column("image", "operation")  # SQLite >= 3.35 drops columns in place
