"""discovery: image title, style and hot score; full-text search; public feed indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:00:00.000000

Full-text search lives outside SQLModel's metadata (pixel_studio.migrations.include_object
keeps autogenerate away from it):
- PostgreSQL: a generated `search` tsvector over prompt + title, with a GIN index.
- SQLite: an FTS5 table `image_fts` (porter unicode61, external content = image) kept in step
  by triggers, so the worker's inserts need no code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op
from pixel_studio.models import hot_score, image_style

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUBLIC = sa.text("NOT private")

_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE image_fts USING fts5(prompt, title, content='image',"
    " content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER image_fts_ai AFTER INSERT ON image BEGIN"
    " INSERT INTO image_fts(rowid, prompt, title) VALUES (new.id, new.prompt, new.title); END",
    "CREATE TRIGGER image_fts_ad AFTER DELETE ON image BEGIN"
    " INSERT INTO image_fts(image_fts, rowid, prompt, title)"
    " VALUES ('delete', old.id, old.prompt, old.title); END",
    "CREATE TRIGGER image_fts_au AFTER UPDATE OF prompt, title ON image BEGIN"
    " INSERT INTO image_fts(image_fts, rowid, prompt, title)"
    " VALUES ('delete', old.id, old.prompt, old.title);"
    " INSERT INTO image_fts(rowid, prompt, title) VALUES (new.id, new.prompt, new.title); END",
    "INSERT INTO image_fts(image_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Plain ADD COLUMN on both databases, never batch mode: copying `image` on SQLite would
    # cascade its DROP into likes and comments (see 0002).
    op.add_column("image", sa.Column("title", sqlmodel.AutoString(length=120), nullable=True))
    op.add_column("image", sa.Column("style", sqlmodel.AutoString(length=32), nullable=True))
    # hot: NOT NULL needs a default for the rows already there; the backfill replaces it, and
    # new rows get theirs from the model's column default. (SQLite keeps the unused server
    # default: dropping it would mean copying the table.)
    op.add_column("image", sa.Column("hot", sa.Float(), nullable=False, server_default="0"))
    _backfill(dialect)
    if dialect == "postgresql":
        op.alter_column("image", "hot", server_default=None, existing_type=sa.Float())

    op.create_index("ix_image_public_recent", "image", ["created_at", "id"],
                    postgresql_where=_PUBLIC, sqlite_where=_PUBLIC)  # fmt: skip
    op.create_index("ix_image_public_liked", "image", ["like_count", "id"],
                    postgresql_where=_PUBLIC, sqlite_where=_PUBLIC)  # fmt: skip
    op.create_index("ix_image_public_hot", "image", ["hot", "id"],
                    postgresql_where=_PUBLIC, sqlite_where=_PUBLIC)  # fmt: skip
    op.create_index("ix_image_user_id_created_at_id", "image", ["user_id", "created_at", "id"])
    # Liked images and follower lists, newest first per user.
    op.create_index("ix_image_like_user_id_created_at", "image_like",
                    ["user_id", "created_at", "image_id"])  # fmt: skip
    op.create_index("ix_follow_follower_id_created_at", "follow",
                    ["follower_id", "created_at", "followee_id"])  # fmt: skip
    op.create_index("ix_follow_followee_id_created_at", "follow",
                    ["followee_id", "created_at", "follower_id"])  # fmt: skip

    if dialect == "postgresql":
        op.execute(
            "ALTER TABLE image ADD COLUMN search tsvector GENERATED ALWAYS AS"
            " (to_tsvector('english', prompt || ' ' || coalesce(title, ''))) STORED"
        )
        op.execute("CREATE INDEX ix_image_search ON image USING gin (search)")
    else:
        for statement in _SQLITE_FTS:
            op.execute(statement)


def _backfill(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(
            "UPDATE image SET style = left(coalesce(nullif(params->>'style_preset', 'none'),"
            " params->>'style'), 32),"
            " hot = log(greatest(like_count, 1)::float8)"
            " + extract(epoch FROM created_at)::float8 / 45000.0"
        )
        return
    # SQLite may lack log10(): compute the score with the model's own formula.
    image = sa.table(
        "image",
        sa.column("id", sa.Integer()),
        sa.column("like_count", sa.Integer()),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("params", sa.JSON()),
        sa.column("style", sa.String()),
        sa.column("hot", sa.Float()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(image.c.id, image.c.like_count, image.c.created_at,
                                  image.c.params)).all()  # fmt: skip
    for image_id, likes, created_at, params in rows:
        bind.execute(
            image.update()
            .where(image.c.id == image_id)
            .values(hot=hot_score(likes, created_at), style=image_style(params or {}))
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_image_search")
        op.execute("ALTER TABLE image DROP COLUMN IF EXISTS search")
    else:
        for name in ("image_fts_ai", "image_fts_ad", "image_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS image_fts")
    op.drop_index("ix_follow_followee_id_created_at", table_name="follow")
    op.drop_index("ix_follow_follower_id_created_at", table_name="follow")
    op.drop_index("ix_image_like_user_id_created_at", table_name="image_like")
    for name in (
        "ix_image_user_id_created_at_id",
        "ix_image_public_hot",
        "ix_image_public_liked",
        "ix_image_public_recent",
    ):
        op.drop_index(name, table_name="image")
    for column in ("hot", "style", "title"):
        op.drop_column("image", column)  # SQLite >= 3.35 drops columns in place
