"""Proving an email address: a link sent at sign-up (and on request), opened once within 24 h.

The same link moves an account to a new address (settings' "change email"): the address the
token was sent to becomes the account's only when it is opened, so a typo never locks
anyone out of their account's mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.mail import send_after_commit
from pixel_studio.models import User
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import account_mail, account_tokens
from pixel_studio.services.errors import Conflict, InvalidInput
from pixel_studio.settings import Settings

log = logging.getLogger(__name__)
INVALID_LINK = "This link is not valid: it was already used, it expired, or it was mistyped."
ALREADY_VERIFIED = "Your email address is already verified."
ADDRESS_TAKEN = "Another account uses that address now."


@dataclass(frozen=True)
class Verified:
    email: str
    changed: bool  # the account moved to this address (an email change)


def send_verification(
    session: Session, settings: Settings, user: User, email: str | None = None
) -> None:
    """Issue a link for `email` (default: the account's own) and mail it after commit."""
    to = email or user.email
    token = account_tokens.issue(session, settings, user.id or 0, account_tokens.VERIFY_EMAIL, to)
    message = account_mail.verification(settings, user.username, to, token, to != user.email)
    send_after_commit(session, message, settings)


def limit_account_mail(cache: Cache, settings: Settings, user_id: int, ip: str) -> None:
    """RateLimited once this network or this account asked for too many account emails."""
    limiter = rate_limits.limiter_for(cache)
    rate_limits.hit(limiter, rate_limits.MAIL_NETWORK, rate_limits.ip_key(ip), settings)
    rate_limits.hit(limiter, rate_limits.MAIL_ACCOUNT, f"acct:{user_id}", settings)


def resend(session: Session, cache: Cache, settings: Settings, user_id: int, ip: str) -> str:
    """Settings' "send the link again": the address it went to. Rate-limited."""
    user = users.get_user(session, user_id)
    if user.email_verified:
        raise InvalidInput(ALREADY_VERIFIED)
    limit_account_mail(cache, settings, user_id, ip)
    send_verification(session, settings, user)
    return user.email


def verify(session: Session, settings: Settings, token: str) -> Verified:
    """Spend the link: the account's address is now proven (and is this one). Caller commits.

    InvalidInput for a forged, used or expired link; Conflict when the new address was taken
    by another account since the link was sent."""
    row = account_tokens.consume(session, settings, token, account_tokens.VERIFY_EMAIL)
    if row is None:
        raise InvalidInput(INVALID_LINK)
    user = users.get_user(session, row.user_id)
    if user.deleted_at is not None:
        raise InvalidInput(INVALID_LINK)
    changed = row.email != user.email
    if changed:
        other = session.exec(select(User.id).where(User.email == row.email)).first()
        if other is not None:
            raise Conflict(ADDRESS_TAKEN)
        user.email = row.email
    user.email_verified_at = utcnow()
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # the address taken by a concurrent sign-up
        session.rollback()
        raise Conflict(ADDRESS_TAKEN) from None
    # Every other open link dies: a stale one for an address the owner moved away from must
    # not move the account back, nor may a reset link mailed to the old address still work.
    account_tokens.retire(session, user.id or 0, account_tokens.VERIFY_EMAIL)
    if changed:
        account_tokens.retire(session, user.id or 0, account_tokens.RESET_PASSWORD)
        log.info("user %s moved to a new, verified email address", user.id)
    return Verified(user.email, changed)


def mark_verified(user: User) -> None:
    """The address is proven by other means (Google verified it, a reset link reached it)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
