"""Moderation: the admin audit log and reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    UniqueConstraint,
)
from sqlmodel import Field

from pixel_studio.db import utcnow
from pixel_studio.models.base import SQLModel


class AuditLog(SQLModel, table=True):
    """Append-only record of admin and account actions: rows are inserted, never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target_type_target_id", "target_type", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # SET NULL: deleting an actor must not erase what they did.
    actor_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL"
    )
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    reason: str = Field(default="", max_length=500)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ReportTarget(StrEnum):
    image = "image"
    comment = "comment"
    user = "user"


class ReportStatus(StrEnum):
    open = "open"
    resolved = "resolved"
    dismissed = "dismissed"


class Report(SQLModel, table=True):
    """A user's report of an image, comment or user: at most one per reporter per item."""

    __tablename__ = "report"
    __table_args__ = (
        # Leads with reporter_id, so it also indexes that foreign key.
        UniqueConstraint("reporter_id", "target_type", "target_id"),
        Index("ix_report_status_created_at", "status", "created_at"),
        Index("ix_report_target_type_target_id", "target_type", "target_id"),
        CheckConstraint("target_type IN ('image', 'comment', 'user')", name="target_type"),
        CheckConstraint("status IN ('open', 'resolved', 'dismissed')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    target_type: str = Field(max_length=16)
    target_id: int
    reason: str = Field(max_length=500)
    status: str = Field(default=ReportStatus.open, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    resolved_by: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL"
    )
    resolved_at: datetime | None = None
