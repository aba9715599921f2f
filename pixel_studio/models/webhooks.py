"""Webhook tables (issue 15): an API user's endpoints and the log of what was sent to them.

models/__init__.py imports this module, so the tables are on the metadata whenever the models
are imported (Alembic, tests, the app).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from pixel_studio.db import utcnow


class WebhookEvent(StrEnum):
    job_succeeded = "job.succeeded"
    job_failed = "job.failed"
    payment_succeeded = "payment.succeeded"


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its (next) attempt
    succeeded = "succeeded"  # the receiver answered 2xx
    failed = "failed"  # every attempt failed, or the target was refused: given up


class Webhook(SQLModel, table=True):
    """One endpoint of a user. The signing secret is not stored: it is derived from
    SECRET_KEY and `secret_salt` (services/integrations/webhook_delivery.signing_secret), so a copy
    of the database alone cannot forge a delivery."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    url: str = Field(max_length=2000)
    events: str = Field(max_length=200)  # comma-separated WebhookEvent values
    secret_salt: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: its body as sent, and how its attempts went."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_webhook_id_created_at", "webhook_id", "created_at"),
        Index("ix_webhook_delivery_user_id_created_at", "user_id", "created_at"),
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    event_id: str = Field(max_length=40, unique=True)  # receivers de-duplicate on it
    event: str = Field(max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.pending, max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None
