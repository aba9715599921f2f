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
import unicodedata
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import OAuthAccount, User, UserSession
from pixel_studio.services import credentials, email_verification, rate_limits, users
from pixel_studio.services.errors import AuthFailed, Conflict, InvalidInput
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
    """AuthFailed for a suspended account (services/admin.py): it signs in by no route."""
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
    `network` is the client's /24 or /48 (services/sessions.network_of), for the sessions list."""
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
