"""Credits and payments: the credit ledger and Stripe's events and payments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Index,
)
from sqlmodel import Field

from pixel_studio.db import utcnow
from pixel_studio.models.base import SQLModel


class CreditKind(StrEnum):
    purchase = "purchase"
    spend = "spend"
    refund = "refund"
    admin = "admin"
    bonus = "bonus"
    # a refunded or disputed purchase taken back (services/billing/payments.py)
    reversal = "reversal"


class CreditTransaction(SQLModel, table=True):
    """The ledger: for every user, the amounts sum to the balance."""

    __tablename__ = "credit_transaction"
    __table_args__ = (
        # balance_after may be negative after a refund or dispute (migration 0005).
        Index("ix_credit_transaction_user_id_created_at", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")  # leads an index
    amount: int
    kind: str = Field(max_length=16)
    job_id: str | None = Field(
        default=None, foreign_key="generation_job.id", index=True, ondelete="SET NULL"
    )
    stripe_event_id: str | None = Field(default=None, max_length=255, unique=True)
    balance_after: int
    note: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class StripeEvent(SQLModel, table=True):
    """Replay guard: a Stripe event id is processed at most once."""

    __tablename__ = "stripe_event"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=255, unique=True)
    type: str = Field(max_length=100)
    received_at: datetime = Field(default_factory=utcnow)


class StripePayment(SQLModel, table=True):
    """One credited Checkout payment: what a refund or dispute of its charge takes back.

    `credits_reversed` only grows, to at most `credits`: each refund event states the charge's
    cumulative refunded amount, so applying events in any order, or twice, takes back the
    right total once (services/billing/payments.py)."""

    __tablename__ = "stripe_payment"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    checkout_session_id: str = Field(max_length=255, unique=True)
    payment_intent_id: str | None = Field(default=None, max_length=255, unique=True)
    pack_id: str = Field(max_length=32)
    credits: int
    amount_total: int
    currency: str = Field(max_length=3)
    credits_reversed: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
