"""Accounts: users, their sign-in links and sessions, API tokens, mailed tokens, and the
account jobs (data export, deletion)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Index,
    UniqueConstraint,
    text,
)
from sqlmodel import Field

from pixel_studio.db import utcnow
from pixel_studio.models.base import JobStatus, SQLModel


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        # No `credits >= 0` check since migration 0005: a refund or dispute takes bought
        # credits back even when spent, so a balance may go negative (services/billing/payments.py).
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
    # at it stays whole and still sums; services/accounts/account.py. Such a row never signs in.
    deleted_at: datetime | None = None
    # When the owner proved the address is theirs (a link in a mail, or a Google identity
    # with it verified); None: unproven (services/accounts/email_verification.py).
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
    # The sessions list (services/accounts/sessions.py): the client's network (an IPv4 /24 or IPv6
    # /48, never the full address), when the password or Google last proved the person (a fresh
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


class AccountJobKind(StrEnum):
    export = "export"
    delete = "delete"


class AccountJob(SQLModel, table=True):
    """A data export or an account deletion, run by the queue (services/accounts/export.py,
    services/accounts/account.py). An export's zip lives at `result_key` until `expires_at`."""

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


class AccountTokenPurpose(StrEnum):
    verify_email = "verify_email"
    reset_password = "reset_password"


class AccountToken(SQLModel, table=True):
    """A link sent by mail: verify an address, or reset a password. Only the SHA-256 of its
    secret is kept; `used_at` makes it single use (services/accounts/account_tokens.py)."""

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
