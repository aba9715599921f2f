"""The data model: plain SQLModel tables. Alembic owns the schema (alembic/versions)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from pixel_studio.db import utcnow

# Naming convention so constraints and indexes get stable names on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class CreditKind(StrEnum):
    purchase = "purchase"
    spend = "spend"
    refund = "refund"
    admin = "admin"
    bonus = "bonus"
    reversal = "reversal"  # a refunded or disputed purchase taken back (services/payments.py)


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        # No `credits >= 0` check since migration 0005: a refund or dispute takes bought
        # credits back even when spent, so a balance may go negative (services/payments.py).
        # Every debit still refuses to pass zero (services/credits.change_balance).
        # The visibility rule asks "which users are suspended?" in every public listing
        # (services/visibility.suspended_user_ids): a partial index keeps that to the few
        # suspended rows instead of a scan of every account.
        Index(
            "ix_user_account_suspended",
            "id",
            postgresql_where=text("suspended_at IS NOT NULL"),
            sqlite_where=text("suspended_at IS NOT NULL"),
        ),
        # ... and "which are deleted?": the rule hides deleted owners' things too (0005).
        Index(
            "ix_user_account_deleted",
            "id",
            postgresql_where=text("deleted_at IS NOT NULL"),
            sqlite_where=text("deleted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=20, unique=True)
    email: str = Field(max_length=320, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    avatar_key: str | None = Field(default=None, max_length=255)
    credits: int = Field(default=0)
    is_admin: bool = Field(default=False)
    default_private: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    # Moderation: a suspended account cannot sign in or write (admin work, issue 9).
    suspended_at: datetime | None = None
    # Account deletion keeps the row as an anonymised tombstone (username "deleted-<id>",
    # email "<id>@deleted.invalid", no password, no avatar) so the credit ledger that points
    # at it stays whole and still sums; services/account.py. Such a row never signs in.
    deleted_at: datetime | None = None
    # When the owner proved the address is theirs (a link in a mail, or a Google identity
    # with it verified); None: unproven (services/email_verification.py).
    email_verified_at: datetime | None = None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class OAuthAccount(SQLModel, table=True):
    __tablename__ = "oauth_account"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A sign-in. Only the token's hash is kept; `revoked_at` ends it server-side."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    # False while the session is only a one-time login ticket waiting to become a cookie.
    activated: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str | None = Field(default=None, max_length=255)
    # The sessions list (services/sessions.py): the client's network (an IPv4 /24 or IPv6 /48,
    # never the full address), when the password or Google last proved the person (a fresh
    # sign-in may mint an API token), and the last event seen, written at most every few minutes.
    network: str | None = Field(default=None, max_length=64)
    authenticated_at: datetime | None = None
    last_seen_at: datetime | None = None


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    # None: never expires. "read" tokens may only read (a write answers 403); "write" do both.
    expires_at: datetime | None = None
    scope: str = Field(default="write", max_length=16)


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
    # passed, another delivery may take the job over (services/jobs.py).
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
# is stored and keyset-paged (services/ranking.py keeps it up to date; SOCIAL_NOTES.md).
HOT_EPOCH_DIVISOR = 45000.0


def hot_score(likes: int, created_at: datetime) -> float:
    """The one trending formula (services/ranking.py re-exports it)."""
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


class Like(SQLModel, table=True):
    __tablename__ = "image_like"
    # "Images I liked, newest like first" walks this index (services/likes.liked_images).
    __table_args__ = (
        Index("ix_image_like_user_id_created_at", "user_id", "created_at", "image_id"),
    )

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="image.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class Comment(SQLModel, table=True):
    __tablename__ = "comment"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="image.id", index=True, ondelete="CASCADE")
    parent_id: int | None = Field(
        default=None, foreign_key="comment.id", index=True, ondelete="CASCADE"
    )
    body: str = Field(max_length=2000)
    deleted: bool = Field(default=False)
    like_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class CommentLike(SQLModel, table=True):
    __tablename__ = "comment_like"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    comment_id: int = Field(
        foreign_key="comment.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow)


class Collection(SQLModel, table=True):
    __tablename__ = "collection"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=1000)
    private: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class CollectionImage(SQLModel, table=True):
    __tablename__ = "collection_image"
    __table_args__ = (UniqueConstraint("collection_id", "image_id"),)

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(foreign_key="collection.id", index=True, ondelete="CASCADE")
    image_id: int = Field(foreign_key="image.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class Follow(SQLModel, table=True):
    __tablename__ = "follow"
    __table_args__ = (
        CheckConstraint("follower_id <> followee_id", name="not_self"),
        # Followers / following lists, newest first, keyset-paged (services/follows.py).
        Index("ix_follow_follower_id_created_at", "follower_id", "created_at", "followee_id"),
        Index("ix_follow_followee_id_created_at", "followee_id", "created_at", "follower_id"),
    )

    follower_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    followee_id: int = Field(
        foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow)


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


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_id_created_at", "user_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")  # leads an index
    actor_id: int | None = Field(
        default=None, foreign_key="user_account.id", index=True, ondelete="CASCADE"
    )
    kind: str = Field(max_length=32)
    image_id: int | None = Field(
        default=None, foreign_key="image.id", index=True, ondelete="CASCADE"
    )
    comment_id: int | None = Field(
        default=None, foreign_key="comment.id", index=True, ondelete="CASCADE"
    )
    read: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


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


class AccountJobKind(StrEnum):
    export = "export"
    delete = "delete"


class AccountJob(SQLModel, table=True):
    """A data export or an account deletion, run by the queue (services/export.py,
    services/account.py). An export's zip lives at `result_key` until `expires_at`."""

    __tablename__ = "account_job"
    __table_args__ = (Index("ix_account_job_user_id_created_at", "user_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")  # leads an index
    kind: str = Field(max_length=16)
    status: str = Field(default=JobStatus.queued, max_length=16)
    done: int = Field(default=0)
    total: int = Field(default=0)
    error: str | None = Field(default=None, max_length=1000)
    result_key: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    expires_at: datetime | None = Field(default=None, index=True)


class StripePayment(SQLModel, table=True):
    """One credited Checkout payment: what a refund or dispute of its charge takes back.

    `credits_reversed` only grows, to at most `credits`: each refund event states the charge's
    cumulative refunded amount, so applying events in any order, or twice, takes back the
    right total once (services/payments.py)."""

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


class AccountTokenPurpose(StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"


class AccountToken(SQLModel, table=True):
    """A link sent by mail: verify an address, or reset a password. Only the SHA-256 of its
    secret is kept; `used_at` makes it single use (services/account_tokens.py)."""

    __tablename__ = "account_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    # The address the link was sent to: a verification proves this one (maybe a new address).
    email: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


# Webhook tables live in their own module; importing it here puts them on the metadata.
from pixel_studio.models_webhooks import Webhook, WebhookDelivery  # noqa: E402, F401
