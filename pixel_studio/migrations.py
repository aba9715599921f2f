"""Apply Alembic migrations from code (CLI, `make run`, tests)."""

from __future__ import annotations

from typing import Any

from alembic.config import Config

from alembic import command
from pixel_studio.settings import REPO_ROOT


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "alembic"))
    cfg.attributes["configure_logger"] = False
    if database_url:
        cfg.attributes["database_url"] = database_url
    return cfg


# Full-text search objects that alembic/versions/0003 creates with raw SQL, outside SQLModel's
# metadata: the FTS5 table and its shadow tables on SQLite, the tsvector column and its GIN index
# on PostgreSQL. Autogenerate must neither drop nor report them.
_UNMODELLED_TABLE_PREFIX = "image_fts"
_UNMODELLED_COLUMNS = {("image", "search")}
_UNMODELLED_INDEXES = {"ix_image_search"}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's include_object hook (alembic/env.py and tests/test_migrations.py use it)."""
    if not reflected or name is None:
        return True
    if type_ == "table":
        return not name.startswith(_UNMODELLED_TABLE_PREFIX)
    if type_ == "column":
        return (obj.table.name, name) not in _UNMODELLED_COLUMNS
    if type_ == "index":
        return name not in _UNMODELLED_INDEXES
    return True


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
