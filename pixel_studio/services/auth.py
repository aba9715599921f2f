"""Sign-in: password checks with rate limits, sessions, one-time login tickets, OAuth linking.

A session token is 32 random bytes; only its SHA-256 is stored. A Reflex event cannot set an
HttpOnly cookie, so a successful sign-in in the UI creates a *ticket*: an unactivated session
row that lives one minute. The browser trades it once at `/auth/session` for the real token,
which the backend sets as the cookie and rotates into the same row.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import OAuthAccount, User, UserSession
from pixel_studio.services import rate_limits, users
from pixel_studio.services.errors import AuthFailed, InvalidInput
from pixel_studio.settings import Settings

TICKET_SECONDS = 60
WRONG_CREDENTIALS = "Wrong username, email or password."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def authenticate(
    session: Session, cache: Cache, settings: Settings, login: str, password: str, ip: str
) -> User:
    """The user for these credentials, or AuthFailed / RateLimited. Counts every attempt."""
    login = login.strip().lower()
    if not login or not password:
        raise InvalidInput("Enter your username or email and your password.", field="login")
    limit, window = settings.login_attempts_per_window, settings.login_window_seconds
    message = "Too many sign-in attempts."
    rate_limits.hit(cache, f"login:ip:{ip}", limit, window, message)
    rate_limits.hit(cache, f"login:acct:{login}", limit, window, message)
    user = users.find_by_login(session, login)
    if user is None:
        users.hash_password(password)  # same work either way: no timing hint that it exists
        raise AuthFailed(WRONG_CREDENTIALS, field="password")
    if not users.verify_password(user, password):
        raise AuthFailed(WRONG_CREDENTIALS, field="password")
    rate_limits.reset(cache, f"login:acct:{login}")
    return user


def create_ticket(session: Session, user_id: int) -> str:
    """A one-time, one-minute ticket that `activate_ticket` trades for a session."""
    ticket = new_token()
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=hash_token(ticket),
            activated=False,
            expires_at=utcnow() + timedelta(seconds=TICKET_SECONDS),
        )
    )
    session.flush()
    return ticket


def activate_ticket(
    session: Session, ticket: str, settings: Settings, user_agent: str = ""
) -> str | None:
    """Trade a ticket for a fresh session token, at most once. None if it is not valid."""
    token = new_token()
    now = utcnow()
    result = session.execute(
        update(UserSession)
        .where(
            col(UserSession.token_hash) == hash_token(ticket),
            col(UserSession.activated).is_(False),
            col(UserSession.revoked_at).is_(None),
            col(UserSession.expires_at) > now,
        )
        .values(
            token_hash=hash_token(token),
            activated=True,
            expires_at=now + timedelta(days=settings.session_days),
            user_agent=user_agent[:255] or None,
        )
    )
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def create_session(session: Session, user_id: int, settings: Settings, user_agent: str = "") -> str:
    """A session token straight away (HTTP log-in and OAuth callbacks can set the cookie)."""
    token = new_token()
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=hash_token(token),
            activated=True,
            expires_at=utcnow() + timedelta(days=settings.session_days),
            user_agent=user_agent[:255] or None,
        )
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str | None) -> User | None:
    """The signed-in user for a session cookie, or None if forged, expired or revoked."""
    if not token or len(token) > 128:
        return None
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
    ).first()
    if row is None or not row.activated or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return session.get(User, row.user_id)


def revoke(session: Session, token: str | None) -> bool:
    if not token:
        return False
    result = session.execute(
        update(UserSession)
        .where(
            col(UserSession.token_hash) == hash_token(token), col(UserSession.revoked_at).is_(None)
        )
        .values(revoked_at=utcnow())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def session_user_id(session: Session, token: str | None) -> int | None:
    """Whose live session this token is, or None: one lookup on the unique token_hash index.

    What every state-changing handler of an open tab asks before acting, so a session
    revoked anywhere (log-out, "sign out everywhere") stops working on the tab's next event.
    """
    if not token or len(token) > 128:
        return None
    return session.exec(
        select(UserSession.user_id).where(
            UserSession.token_hash == hash_token(token),
            col(UserSession.activated).is_(True),
            col(UserSession.revoked_at).is_(None),
            UserSession.expires_at > utcnow(),
        )
    ).first()


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live session of the user ("sign out everywhere"), tickets included.

    Returns how many were revoked. Open tabs notice on their next event (session_user_id)."""
    result = session.execute(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def csrf_token(token: str, settings: Settings) -> str:
    """Derived from the session, so nothing extra is stored: a forged page cannot know it."""
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, f"csrf:{hash_token(token)}".encode(), hashlib.sha256).hexdigest()


def check_csrf(token: str, presented: str | None, settings: Settings) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(token, settings), presented or "")


def sign_in_with_oauth(
    session: Session,
    settings: Settings,
    provider: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    name_hint: str,
) -> User:
    """The user for an OAuth identity: linked before, matched by verified email, or new."""
    link = session.exec(
        select(OAuthAccount).where(
            OAuthAccount.provider == provider, OAuthAccount.subject == subject
        )
    ).first()
    if link is not None:
        return users.get_user(session, link.user_id)
    email = (email or "").strip().lower()
    user = None
    if email and email_verified:
        user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        if not email or not email_verified:
            raise AuthFailed("Your Google account has no verified email address.")
        user = users.create_user(
            session,
            _free_username(session, name_hint or email.split("@")[0]),
            email,
            None,
            bonus=settings.signup_bonus_credits,
        )
    assert user.id is not None
    session.add(OAuthAccount(user_id=user.id, provider=provider, subject=subject, email=email))
    session.flush()
    return user


def _free_username(session: Session, hint: str) -> str:
    base = "".join(ch for ch in hint.lower() if ch.isalnum() or ch == "_")[:16] or "user"
    base = base.ljust(3, "_")
    candidate = base
    while users.find_by_username(session, candidate) is not None:
        candidate = f"{base}_{secrets.randbelow(10_000)}"[:20]
    return candidate
