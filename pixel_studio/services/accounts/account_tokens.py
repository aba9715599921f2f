"""Single-use links sent by mail: verify an address (24 h), reset a password (30 min).

The link carries `<secret>.<signature>`. The signature (HMAC of the purpose and the secret with
SECRET_KEY) refuses a forged or cross-purpose token before any database read; only the
SHA-256 of the secret is stored, so a leaked database holds no usable link. A conditional
UPDATE (`used_at IS NULL AND expires_at > now`) spends it: of two clicks exactly one wins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.db import utcnow
from pixel_studio.models import AccountToken, AccountTokenPurpose
from pixel_studio.settings import Settings

VERIFY_EMAIL = AccountTokenPurpose.verify_email
RESET_PASSWORD = AccountTokenPurpose.reset_password
LIFETIMES = {VERIFY_EMAIL: timedelta(hours=24), RESET_PASSWORD: timedelta(minutes=30)}
MAX_LENGTH = 120  # ours are 43 + 1 + 22 characters: anything much longer is not one


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _signature(secret: str, purpose: str, settings: Settings) -> str:
    key = settings.resolved_secret_key().encode()
    digest = hmac.new(key, f"account-token:{purpose}:{secret}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def _secret_of(token: str, purpose: str, settings: Settings) -> str | None:
    """The secret part of a well-signed token of this purpose, else None."""
    if not token or len(token) > MAX_LENGTH:
        return None
    secret, dot, signature = token.strip().rpartition(".")
    if not dot or not secret:
        return None
    expected = _signature(secret, purpose, settings)
    return secret if hmac.compare_digest(expected, signature) else None


def issue(
    session: Session, settings: Settings, user_id: int, purpose: AccountTokenPurpose, email: str
) -> str:
    """A new link token for the user, valid for its purpose's lifetime. Caller commits."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=secret_hash(secret),
            email=email,
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    session.flush()
    return f"{secret}.{_signature(secret, purpose, settings)}"


def decoy(settings: Settings, purpose: AccountTokenPurpose) -> None:
    """The hashing `issue` does, for a request about an account that does not exist."""
    secret = secrets.token_urlsafe(32)
    secret_hash(secret)
    _signature(secret, purpose, settings)


def peek(
    session: Session, settings: Settings, token: str, purpose: AccountTokenPurpose
) -> AccountToken | None:
    """The token's row if it is still usable (nothing is spent): to show a form or not."""
    secret = _secret_of(token, purpose, settings)
    if secret is None:
        return None
    row = session.exec(
        select(AccountToken).where(AccountToken.token_hash == secret_hash(secret))
    ).first()
    if row is None or row.purpose != purpose or row.used_at is not None:
        return None
    return row if row.expires_at > utcnow() else None


def consume(
    session: Session, settings: Settings, token: str, purpose: AccountTokenPurpose
) -> AccountToken | None:
    """Spend the token: its row, or None if forged, of another purpose, used or expired."""
    secret = _secret_of(token, purpose, settings)
    if secret is None:
        return None
    digest = secret_hash(secret)
    now = utcnow()
    result = session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.token_hash) == digest,
            col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.exec(select(AccountToken).where(AccountToken.token_hash == digest)).one()


def retire(session: Session, user_id: int, purpose: AccountTokenPurpose) -> int:
    """Spend every open token of this purpose (a password was reset: older links die)."""
    result = session.execute(
        update(AccountToken)
        .where(
            col(AccountToken.user_id) == user_id,
            col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_email(session: Session, user_id: int, current: str) -> str | None:
    """A new address waiting for its link to be opened (an email change), if any."""
    return session.exec(
        select(AccountToken.email)
        .where(
            col(AccountToken.user_id) == user_id,
            col(AccountToken.purpose) == VERIFY_EMAIL,
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > utcnow(),
            col(AccountToken.email) != current,
        )
        .order_by(col(AccountToken.created_at).desc(), col(AccountToken.id).desc())
    ).first()
