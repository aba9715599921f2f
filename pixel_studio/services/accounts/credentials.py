"""Ending every way an account is signed in: sessions and API tokens.

Used when the password changes (reset, change in settings) and when a verified Google
identity claims an unverified account squatting its address.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, update
from sqlmodel import Session, col

from pixel_studio.db import utcnow
from pixel_studio.models import ApiToken, OAuthAccount, UserSession


def revoke_sessions(session: Session, user_id: int, keep_token: str | None = None) -> int:
    """Revoke the user's live sessions (tickets too), all but `keep_token`'s if given."""
    query = update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.revoked_at).is_(None)
    )
    if keep_token:
        kept = hashlib.sha256(keep_token.encode()).hexdigest()  # auth.hash_token
        query = query.where(col(UserSession.token_hash) != kept)
    result = session.execute(query.values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_api_tokens(session: Session, user_id: int) -> int:
    result = session.execute(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_oauth_links(session: Session, user_id: int) -> int:
    result = session.execute(delete(OAuthAccount).where(col(OAuthAccount.user_id) == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
