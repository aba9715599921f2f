"""Personal API tokens: created, named, listed and revoked from the settings page.

A token is `ps_` + 32 random bytes (URL-safe base64), shown once when created; only its
SHA-256 is stored (auth.hash_token, the same digest as session tokens), so a leaked database
gives no usable token. Revoking deletes the row: the next request with it is refused.
The last-used time is written at most once a minute per token, so a busy client does not turn
every read into a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from pixel_studio.cache import Cache
from pixel_studio.db import utcnow
from pixel_studio.models import ApiToken, User
from pixel_studio.services import rate_limits, users
from pixel_studio.services.accounts import auth, sessions
from pixel_studio.services.errors import AuthFailed, InvalidInput, NotFound
from pixel_studio.settings import Settings

PREFIX = "ps_"
MAX_NAME = 100
MAX_TOKENS = 20  # per user: enough for every script and machine, not a place to hoard
MAX_TOKEN_LENGTH = 200  # anything longer is not one of ours: refused before hashing
LAST_USED_EVERY = timedelta(seconds=60)
Scope = Literal["read", "write"]
READ: Scope = "read"
WRITE: Scope = "write"
EXPIRY_DAYS = (7, 30, 90, 365)  # or never
PROOF_NEEDED = "Enter your password to create a token (not needed within 10 minutes of signing in)."
WRONG_PASSWORD = "That password is not right."


def _name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Give the token a name, so you know later where it is used.")
    if len(value) > MAX_NAME:
        raise ValueError(f"The name is too long ({MAX_NAME} characters at most).")
    if users.has_control_chars(value):
        raise ValueError("The name contains a character that is not allowed.")
    return value


def _expiry(value: int | None) -> int | None:
    if value is not None and value not in EXPIRY_DAYS:
        raise ValueError("Choose when the token expires from the list.")
    return value


class TokenName(BaseModel):
    name: Annotated[str, AfterValidator(_name)]


class TokenRequest(TokenName):
    """What the settings form (or any other caller) asks for."""

    scope: Scope = WRITE
    expires_days: Annotated[int | None, AfterValidator(_expiry)] = None


@dataclass(frozen=True)
class TokenInfo:
    """What the settings page lists: never the token itself."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    scope: str = WRITE
    expires_at: datetime | None = None


@dataclass(frozen=True)
class NewToken:
    info: TokenInfo
    secret: str  # the only time it is known: show it once


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        row.id or 0, row.name, row.created_at, row.last_used_at, row.scope, row.expires_at
    )


def check_proof(
    session: Session,
    cache: Cache,
    settings: Settings,
    user_id: int,
    password: str,
    session_token: str | None,
) -> None:
    """A stolen session must not mint a token that outlives it: the person proves they are
    here with the password, or by a sign-in under 10 minutes old (sessions.FRESH_SIGN_IN).
    AuthFailed (field "password") otherwise; wrong passwords count against the account's
    log-in allowance, so a stolen session cannot guess without limit."""
    if password:
        user = users.get_user(session, user_id)
        if not user.password_hash or not users.verify_password(user, password):
            limiter = rate_limits.limiter_for(cache)
            rate_limits.hit(limiter, rate_limits.AUTH, f"acct:{user_id}", settings)
            raise AuthFailed(WRONG_PASSWORD, field="password")
        return
    if not sessions.recently_authenticated(session, user_id, session_token):
        raise AuthFailed(PROOF_NEEDED, field="password")


def create_proven_token(
    session: Session,
    cache: Cache,
    settings: Settings,
    user_id: int,
    request: dict[str, object],
    *,
    password: str,
    session_token: str | None,
) -> NewToken:
    """`create_token` after `check_proof`: what the settings page calls. Commits."""
    wanted = users.parse(TokenRequest, request)
    check_proof(session, cache, settings, user_id, password, session_token)
    return create_token(
        session, user_id, wanted.name, scope=wanted.scope, expires_days=wanted.expires_days
    )


def create_token(
    session: Session,
    user_id: int,
    name: str,
    *,
    scope: Scope = WRITE,
    expires_days: int | None = None,
) -> NewToken:
    """A new named token for the user. Commits. InvalidInput for a bad name or too many.
    The proof that the owner asks for it is the caller's (`create_proven_token`)."""
    wanted = users.parse(TokenRequest, {"name": name, "scope": scope, "expires_days": expires_days})
    clean = wanted.name
    count = session.exec(
        select(func.count()).select_from(ApiToken).where(col(ApiToken.user_id) == user_id)
    ).one()
    if count >= MAX_TOKENS:
        raise InvalidInput(
            f"You have {MAX_TOKENS} tokens already; revoke one you no longer use.", field="name"
        )
    secret = PREFIX + auth.new_token()
    expires = utcnow() + timedelta(days=wanted.expires_days) if wanted.expires_days else None
    row = ApiToken(
        user_id=user_id,
        name=clean,
        token_hash=auth.hash_token(secret),
        scope=wanted.scope,
        expires_at=expires,
    )
    session.add(row)
    session.commit()
    return NewToken(_info(row), secret)


def list_tokens(session: Session, user_id: int) -> list[TokenInfo]:
    """The user's tokens, newest first."""
    rows = session.exec(
        select(ApiToken)
        .where(col(ApiToken.user_id) == user_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    ).all()
    return [_info(r) for r in rows]


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    """Delete one of the user's tokens. Commits. NotFound if it is not theirs (or gone)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("That token does not exist (already revoked?).")
    session.delete(row)
    session.commit()


def revoke_all_tokens(session: Session, user_id: int) -> int:
    """Delete every token of the user ("sign out everywhere" with its box ticked). Does not
    commit (the caller revokes the sessions in the same transaction); returns how many."""
    result = session.execute(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def user_for_api_token(session: Session, token: str | None) -> User | None:
    """The user a presented token belongs to, or None. Records the last-used time (commits
    when it does)."""
    found = token_owner(session, token)
    return found[0] if found is not None else None


def token_owner(session: Session, token: str | None) -> tuple[User, str] | None:
    """(owner, scope) of a live token, or None: unknown, expired, or its owner suspended.
    Records the last-used time (commits when it does)."""
    if not token or not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.token_hash) == auth.hash_token(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if user.suspended_at is not None:  # a suspended account's tokens stop working at once
        return None
    now = utcnow()
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY:
        # Conditional, so concurrent requests with one token write it once.
        session.execute(
            update(ApiToken)
            .where(
                col(ApiToken.id) == row.id,
                or_(
                    col(ApiToken.last_used_at).is_(None),
                    col(ApiToken.last_used_at) < now - LAST_USED_EVERY,
                ),
            )
            .values(last_used_at=now)
        )
        session.commit()
    return user, row.scope
