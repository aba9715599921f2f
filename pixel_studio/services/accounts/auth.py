"""Sign-in: password checks with rate limits, sessions, one-time login tickets (a provider's
sign-in and linking: services/accounts/oauth.py).

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
from pixel_studio.models import User, UserSession
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import email_verification
from pixel_studio.services.errors import AuthFailed, InvalidInput
from pixel_studio.settings import Settings

TICKET_SECONDS = 60
WRONG_CREDENTIALS = "Wrong username, email or password."
SUSPENDED = "This account is suspended. Contact the site's administrators."
LINKED_ELSEWHERE = "That Google account is already connected to another account."
ALREADY_HAS_GOOGLE = "Your account is already connected to a Google account."


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def refuse_suspended(user: User) -> None:
    """AuthFailed for a suspended account (services/moderation/admin.py): it signs in by no
    route."""
    if user.suspended_at is not None:
        raise AuthFailed(SUSPENDED, field="login")


def authenticate(
    session: Session, cache: Cache, settings: Settings, login: str, password: str, ip: str
) -> User:
    """The user for these credentials, or AuthFailed / RateLimited.

    Two limits. Every attempt counts against the client (IPv4 address or IPv6 /64): past the
    limit it is refused outright. Wrong passwords also count against the *account* (its id, so
    username and email share one allowance); past that limit a wrong password gets the 429,
    but the right one still signs in, so a stranger's guesses cannot lock the owner out."""
    login = login.strip().lower()
    if not login or not password:
        raise InvalidInput("Enter your username or email and your password.", field="login")
    if users.has_control_chars(login):
        raise InvalidInput("Enter a valid username or email.", field="login")
    limiter = rate_limits.limiter_for(cache)
    rate_limits.hit(limiter, rate_limits.AUTH, rate_limits.ip_key(ip), settings)
    user = users.find_by_login(session, login)
    if user is not None and users.verify_password(user, password):
        rate_limits.clear(limiter, rate_limits.AUTH, f"acct:{user.id}", settings)
        refuse_suspended(user)  # only after the right password: no hint to a guesser
        return user
    if user is None:
        users.hash_password(password)  # same work either way: no timing hint that it exists
    # Unknown names count too, so a 429 does not tell that an account exists.
    account = f"acct:{user.id}" if user is not None else f"name:{login}"
    rate_limits.hit(limiter, rate_limits.AUTH, account, settings)
    raise AuthFailed(WRONG_CREDENTIALS, field="password")


def sign_up(
    session: Session,
    cache: Cache,
    settings: Settings,
    username: str,
    email: str,
    password: str,
    ip: str,
) -> User:
    """A new account with its bonus; at most `signups_per_window` per client address.
    A link to verify the address is mailed once the caller commits.

    Input that would be refused does not use up the allowance: only real sign-ups count."""
    users.validate_sign_up(session, username, email, password)
    limiter = rate_limits.limiter_for(cache)
    rate_limits.hit(limiter, rate_limits.SIGNUP, rate_limits.ip_key(ip), settings)
    user = users.create_user(
        session, username, email, password, bonus=settings.signup_bonus_credits
    )
    email_verification.send_verification(session, settings, user)
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
            authenticated_at=utcnow(),  # the password was checked just now
        )
    )
    session.flush()
    return ticket


def activate_ticket(
    session: Session, ticket: str, settings: Settings, user_agent: str = "", network: str = ""
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
            network=network[:64] or None,
        )
    )
    return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def create_session(
    session: Session, user_id: int, settings: Settings, user_agent: str = "", network: str = ""
) -> str:
    """A session token straight away (HTTP log-in and OAuth callbacks can set the cookie).
    `network` is the client's /24 or /48 (services/accounts/sessions.network_of), for the sessions
    list."""
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            user_id=user_id,
            token_hash=hash_token(token),
            activated=True,
            expires_at=now + timedelta(days=settings.session_days),
            user_agent=user_agent[:255] or None,
            network=network[:64] or None,
            authenticated_at=now,
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
    user = session.get(User, row.user_id)
    # A suspended account's sessions stop working at their next request.
    return user if user is not None and user.suspended_at is None else None


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
        select(UserSession.user_id)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(
            col(User.suspended_at).is_(None),  # suspended: the tab signs out at its next event
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
