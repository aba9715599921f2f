"""Sign-in with a provider (Google): find or create the account a provider's subject names,
link it to an existing account (proven by its password, or the signed-in session), and name
a new account. Sessions and tickets are services/accounts/auth.py's.
"""

from __future__ import annotations

import secrets
import unicodedata

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from pixel_studio.cache import Cache
from pixel_studio.models import OAuthAccount, User
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import credentials, email_verification
from pixel_studio.services.accounts.auth import (
    ALREADY_HAS_GOOGLE,
    LINKED_ELSEWHERE,
    authenticate,
    refuse_suspended,
)
from pixel_studio.services.errors import AuthFailed, Conflict
from pixel_studio.settings import Settings


class PasswordNeeded(AuthFailed):
    """A provider's email matches an account with a password: its owner must prove it first.

    A local sign-up never proves its email, so matching by email alone would hand the account
    of whoever signed up first as victim@gmail.com to the real owner of that address, or the
    other way round."""

    def __init__(self, user_id: int, email: str) -> None:
        super().__init__(
            "An account with this email already exists. Enter its password to connect Google.",
            field="password",
        )
        self.user_id = user_id
        self.email = email


def _link_for(session: Session, provider: str, subject: str) -> OAuthAccount | None:
    return session.exec(
        select(OAuthAccount).where(
            OAuthAccount.provider == provider, OAuthAccount.subject == subject
        )
    ).first()


def sign_in_with_oauth(
    session: Session,
    settings: Settings,
    provider: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    name_hint: str,
    *,
    ip: str | None = None,
) -> User:
    """The user for an OAuth identity: linked before, or new. Never linked by email alone,
    except to claim an account that never proved the address (see `claim_unverified`).

    A new account counts against the sign-up limit of `ip`'s network, the same allowance as a
    password sign-up (each comes with free credits); the HTTP callback always passes it.
    Raises PasswordNeeded when the email belongs to a verified account with a password."""
    subject = subject.strip()
    if not subject or len(subject) > 255 or users.has_control_chars(subject):
        raise AuthFailed("The sign-in provider sent an identity we cannot use.")
    link = _link_for(session, provider, subject)
    if link is not None:
        linked = users.get_user(session, link.user_id)
        refuse_suspended(linked)
        return linked
    email = (email or "").strip().lower()
    if not email or not email_verified:
        raise AuthFailed("Your Google account has no verified email address.")
    existing = session.exec(select(User).where(User.email == email)).first()
    if existing is not None and existing.id is not None:
        if existing.password_hash and existing.email_verified:
            raise PasswordNeeded(existing.id, email)
        if existing.password_hash:
            refuse_suspended(existing)  # a claim must not bring a suspended account back
            claim_unverified(session, existing)
            return connect_oauth(session, existing.id, provider, subject, email)
        raise AuthFailed(
            "An account with this email already exists and is connected to another Google "
            "account. Sign in with that one."
        )
    if ip is not None:  # only a real sign-up counts, as in sign_up
        rate_limits.hit(
            rate_limits.get_limiter(), rate_limits.SIGNUP, rate_limits.ip_key(ip), settings
        )
    user = users.create_user(
        session,
        _free_username(session, name_hint, email),
        email,
        None,
        bonus=settings.signup_bonus_credits,
    )
    email_verification.mark_verified(user)  # the provider verified it (checked above)
    return connect_oauth(session, user.id or 0, provider, subject, email)


def claim_unverified(session: Session, user: User) -> None:
    """Hand an account that never proved its address to the verified owner of that address.

    Whoever signed up with someone else's address (by mistake, or to squat it) loses every
    way in: the password, every session, every API token, any other identity linked. The
    account's images and credits stay: the owner of the address decides what to do with them.
    """
    user_id = user.id or 0
    user.password_hash = None
    email_verification.mark_verified(user)
    session.add(user)
    credentials.revoke_sessions(session, user_id)
    credentials.delete_api_tokens(session, user_id)
    credentials.delete_oauth_links(session, user_id)
    session.flush()


def link_with_password(
    session: Session,
    cache: Cache,
    settings: Settings,
    user_id: int,
    provider: str,
    subject: str,
    email: str,
    password: str,
    ip: str,
) -> User:
    """Link an identity to the account whose password the person just proved (PasswordNeeded).

    The same limits as a log-in: this is a password check like any other."""
    user = users.get_user(session, user_id)
    proven = authenticate(session, cache, settings, user.username, password, ip)
    if proven.email == email:
        email_verification.mark_verified(proven)  # Google verified this very address
    return connect_oauth(session, proven.id or 0, provider, subject, email)


def connect_oauth(
    session: Session, user_id: int, provider: str, subject: str, email: str | None
) -> User:
    """Link an identity to an account whose owner is proven (signed in, or by password)."""
    user = users.get_user(session, user_id)
    link = _link_for(session, provider, subject)
    if link is not None:
        if link.user_id == user_id:
            return user
        raise Conflict(LINKED_ELSEWHERE)
    if oauth_email(session, user_id, provider) is not None:
        raise Conflict(ALREADY_HAS_GOOGLE)
    session.add(
        OAuthAccount(user_id=user_id, provider=provider, subject=subject, email=email or None)
    )
    try:
        session.flush()
    except IntegrityError:  # the same identity linked by a concurrent request
        session.rollback()
        raise Conflict(LINKED_ELSEWHERE) from None
    return user


def oauth_email(session: Session, user_id: int, provider: str) -> str | None:
    """The email of the account's linked identity at `provider` ("" if it had none), or None."""
    link = session.exec(
        select(OAuthAccount).where(
            OAuthAccount.user_id == user_id, OAuthAccount.provider == provider
        )
    ).first()
    return None if link is None else (link.email or "")


# Letters NFKD does not split into an ASCII base and an accent.
_FOLD = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}
)


def _ascii_name(hint: str) -> str:
    """ "José García" -> "josegarcia": accents folded, anything else outside [a-z0-9_] dropped."""
    folded = unicodedata.normalize("NFKD", hint.lower().translate(_FOLD))
    return "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch == "_"))


def _free_username(session: Session, name_hint: str, email: str) -> str:
    """A free username that passes the username rule, from the name or the email's local part."""
    base = (_ascii_name(name_hint) or _ascii_name(email.split("@")[0]) or "user")[:16]
    base = base.ljust(3, "_")
    candidate = base
    while users.find_by_username(session, candidate) is not None:
        candidate = f"{base}_{secrets.randbelow(10_000)}"[:20]
    return candidate
