"""The studio: generation jobs, the image sets they make, and images (with the stored
trending score and style the discovery feeds page by)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    text,
)
from sqlmodel import Field

from pixel_studio.db import utcnow
from pixel_studio.models.base import JobStatus, SQLModel


class GenerationJob(SQLModel, table=True):
    __tablename__ = "generation_job"
    __table_args__ = (
        Index("ix_generation_job_user_id_created_at", "user_id", "created_at"),
        CheckConstraint("done >= 0 AND done <= total", name="progress_in_range"),
    )

    id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")  # leads an index
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.queued, max_length=16, index=True)
    done: int = Field(default=0)
    total: int = Field(default=1)
    error: str | None = Field(default=None, max_length=1000)
    credits_charged: int = Field(default=0)
    credits_refunded: int = Field(default=0)
    attempts: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # While running: the worker holding the job renews this after each image; once it has
    # passed, another delivery may take the job over (services/studio/jobs.py).
    lease_until: datetime | None = None


class ImageSet(SQLModel, table=True):
    __tablename__ = "image_set"
    __table_args__ = (Index("ix_image_set_user_id_created_at", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")  # leads an index
    job_id: str = Field(foreign_key="generation_job.id", unique=True, ondelete="CASCADE")
    prompt: str = Field(max_length=3500)
    model: str = Field(max_length=100)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# Trending ("hot") score: log10 of the likes plus the creation time in units of 45,000 s, so a
# day of age weighs as much as ~80x the likes. It changes only when the like count does, so it
# is stored and keyset-paged (services/social/ranking.py keeps it up to date; SOCIAL_NOTES.md).
HOT_EPOCH_DIVISOR = 45000.0


def hot_score(likes: int, created_at: datetime) -> float:
    """The one trending formula (services/social/ranking.py re-exports it)."""
    if created_at.tzinfo is None:  # stored values are UTC; naive ones come from old rows
        created_at = created_at.replace(tzinfo=UTC)
    return math.log10(max(likes, 1)) + created_at.timestamp() / HOT_EPOCH_DIVISOR


def _hot_default(context: Any) -> float:
    """Column default for Image.hot: every insert (the worker's too) gets it from its row."""
    row = context.get_current_parameters()
    return hot_score(int(row.get("like_count") or 0), row.get("created_at") or utcnow())


def _style_default(context: Any) -> str | None:
    """Column default for Image.style, for the explore style filter: the style preset the
    person picked (local and Hugging Face models), else OpenAI's vivid / natural."""
    return image_style(context.get_current_parameters().get("params") or {})


def image_style(params: dict[str, Any]) -> str | None:
    preset = params.get("style_preset")
    style = preset if preset and preset != "none" else params.get("style")
    return str(style)[:32] if style else None


# Partial indexes for the public feeds (explore recent / liked / trending): only public rows,
# so a page is an index walk. Ascending B-trees, read backwards for the DESC pages.
_PUBLIC = text("NOT private")


class Image(SQLModel, table=True):
    __tablename__ = "image"
    __table_args__ = (
        Index("ix_image_created_at_id", "created_at", "id"),
        Index(
            "ix_image_public_recent",
            "created_at",
            "id",
            postgresql_where=_PUBLIC,
            sqlite_where=_PUBLIC,
        ),
        Index(
            "ix_image_public_liked",
            "like_count",
            "id",
            postgresql_where=_PUBLIC,
            sqlite_where=_PUBLIC,
        ),
        Index("ix_image_public_hot", "hot", "id", postgresql_where=_PUBLIC, sqlite_where=_PUBLIC),
        # A profile's images and the following feed: one user's images, newest first.
        Index("ix_image_user_id_created_at_id", "user_id", "created_at", "id"),
        # "Made from this image": one source's derived images, newest first (keyset pages).
        Index("ix_image_parent_id_created_at_id", "parent_id", "created_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    set_id: int = Field(foreign_key="image_set.id", index=True, ondelete="CASCADE")
    prompt: str = Field(max_length=3500)
    model: str = Field(max_length=100)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    width: int
    height: int
    # Seeds go up to 2**32 - 1 (providers.base.MAX_SEED): past a 4-byte signed INTEGER on
    # PostgreSQL. SQLite's INTEGER already holds 64 bits, so it keeps its type there.
    seed: int | None = Field(default=None, sa_type=BigInteger().with_variant(Integer, "sqlite"))
    private: bool = Field(default=False)
    original_key: str = Field(max_length=255)
    thumbnail_key: str = Field(max_length=255)
    parent_id: int | None = Field(
        default=None, foreign_key="image.id", index=True, ondelete="SET NULL"
    )
    like_count: int = Field(default=0)
    comment_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    # Set by the owner on the image page; searched with the prompt (alembic 0003 adds the
    # full-text index: a generated tsvector on PostgreSQL, the image_fts table on SQLite).
    title: str | None = Field(default=None, max_length=120)
    # Left None, both are filled from the row at insert by the column defaults above.
    style: str | None = Field(
        default=None, max_length=32, sa_column_kwargs={"default": _style_default}
    )
    hot: float = Field(default=None, sa_column_kwargs={"default": _hot_default})
    # Lineage (issue 12): how the picture was made. "text" from a prompt alone (a remix too:
    # it copies parameters, `parent_id` names the remixed image); any other operation
    # (catalog.EDIT_OPERATIONS) started from the pixels of `parent_id`, the source image, or of
    # an uploaded file (then `parent_id` is None). Its parameters (strength, mask key, zoom,
    # direction, factor) are in `params["edit"]`. `parent_id` is ON DELETE SET NULL: deleting a
    # source keeps what was made from it.
    operation: str = Field(
        default="text", max_length=16, sa_column_kwargs={"server_default": "text"}
    )
