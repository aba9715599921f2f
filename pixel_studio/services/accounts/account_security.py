"""Settings' account security: see the address and whether it is verified, change the
password (other sessions end, this one stays), change the address (verified before it
takes effect; the old address is told)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlmodel import Session, select

from pixel_studio.cache import Cache
from pixel_studio.mail import send_after_commit
from pixel_studio.models import User
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import (
    account_mail,
    account_tokens,
    credentials,
    email_verification,
)
from pixel_studio.services.errors import AuthFailed, Conflict, InvalidInput
from pixel_studio.settings import Settings

WRONG_PASSWORD = "That is not your current password."
NO_PASSWORD = (
    "Your account has no password yet (you sign in with Google). Set one with "
    "“Forgot password?” on the log-in page."
)


@dataclass(frozen=True)
class SecurityView:
    email: str
    verified: bool
    pending_email: str  # "" when no change waits for its link
    has_password: bool


class NewPassword(BaseModel):
    new_password: users.Password


class NewEmail(BaseModel):
    new_email: users.Email


def view(session: Session, user_id: int) -> SecurityView:
    user = users.get_user(session, user_id)
    pending = account_tokens.pending_email(session, user_id, user.email)
    return SecurityView(user.email, user.email_verified, pending or "", bool(user.password_hash))


def _prove_password(
    session: Session, cache: Cache, settings: Settings, user: User, password: str, ip: str
) -> None:
    """The current password, with the sign-in limits: this is a password check like a log-in."""
    if not user.password_hash:
        raise InvalidInput(NO_PASSWORD, field="current_password")
    if not password:
        raise InvalidInput("Enter your current password.", field="current_password")
    limiter = rate_limits.limiter_for(cache)
    rate_limits.hit(limiter, rate_limits.AUTH, rate_limits.ip_key(ip), settings)
    if not users.verify_password(user, password):
        rate_limits.hit(limiter, rate_limits.AUTH, f"acct:{user.id}", settings)
        raise AuthFailed(WRONG_PASSWORD, field="current_password")


def change_password(
    session: Session,
    cache: Cache,
    settings: Settings,
    user_id: int,
    current: str,
    new: str,
    keep_token: str | None,
    ip: str,
) -> int:
    """Set a new password; every other session ends (API tokens stay: scripts keep working,
    and "sign out everywhere" or a reset ends them). Returns how many sessions ended."""
    user = users.get_user(session, user_id)
    password = users.parse(NewPassword, {"new_password": new}).new_password
    _prove_password(session, cache, settings, user, current, ip)
    user.password_hash = users.hash_password(password)
    session.add(user)
    ended = credentials.revoke_sessions(session, user_id, keep_token=keep_token)
    account_tokens.retire(session, user_id, account_tokens.RESET_PASSWORD)
    session.flush()
    send_after_commit(
        session, account_mail.password_changed(settings, user.username, user.email), settings
    )
    return ended


def change_email(
    session: Session,
    cache: Cache,
    settings: Settings,
    user_id: int,
    password: str,
    new_email: str,
    ip: str,
) -> str:
    """Send a link to the new address (it takes effect when opened) and a notice to the old
    one. Returns the new address."""
    user = users.get_user(session, user_id)
    email = users.parse(NewEmail, {"new_email": new_email}).new_email
    if email == user.email:
        raise InvalidInput("That is your address already.", field="new_email")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict("An account with that email already exists.", field="new_email")
    _prove_password(session, cache, settings, user, password, ip)
    email_verification.limit_account_mail(cache, settings, user_id, ip)
    email_verification.send_verification(session, settings, user, email)
    send_after_commit(
        session,
        account_mail.email_change_notice(settings, user.username, user.email, email),
        settings,
    )
    return email
