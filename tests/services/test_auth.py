from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.cache import MemoryCache
from pixel_studio.db import utcnow
from pixel_studio.models import OAuthAccount, User, UserSession
from pixel_studio.services import auth, users
from pixel_studio.services.errors import AuthFailed, RateLimited
from pixel_studio.settings import Settings


@pytest.fixture
def alice(session: Session) -> User:
    user = users.create_user(session, "alice", "alice@example.com", "correct horse", bonus=5)
    session.commit()
    return user


def test_authenticate_by_username_or_email(
    session: Session, cache: MemoryCache, settings: Settings, alice: User
) -> None:
    args = (session, cache, settings)
    assert auth.authenticate(*args, "Alice", "correct horse", "1.1.1.1").id == alice.id
    assert auth.authenticate(*args, "alice@example.com", "correct horse", "1.1.1.1").id == alice.id
    with pytest.raises(AuthFailed, match="Wrong username"):
        auth.authenticate(*args, "alice", "wrong horse", "1.1.1.1")
    with pytest.raises(AuthFailed, match="Wrong username"):
        auth.authenticate(*args, "nobody", "correct horse", "1.1.1.1")


def test_login_attempts_are_limited_per_account_and_per_ip(
    session: Session, cache: MemoryCache, settings: Settings, alice: User
) -> None:
    for _ in range(10):
        with pytest.raises(AuthFailed):
            auth.authenticate(session, cache, settings, "alice", "nope nope", "2.2.2.2")
    with pytest.raises(RateLimited) as err:
        auth.authenticate(session, cache, settings, "alice", "correct horse", "3.3.3.3")
    assert 0 < err.value.retry_after <= 15 * 60
    # The IP that failed ten times is limited for other accounts too.
    with pytest.raises(RateLimited):
        auth.authenticate(session, cache, settings, "bob", "whatever1", "2.2.2.2")


def test_ticket_is_traded_once_for_a_session(
    session: Session, settings: Settings, alice: User
) -> None:
    ticket = auth.create_ticket(session, alice.id or 0)
    session.commit()
    assert auth.user_for_token(session, ticket) is None  # a ticket is not a session
    token = auth.activate_ticket(session, ticket, settings, "pytest")
    session.commit()
    assert token and token != ticket
    assert auth.activate_ticket(session, ticket, settings) is None
    found = auth.user_for_token(session, token)
    assert found is not None and found.id == alice.id


def test_expired_ticket_is_refused(session: Session, settings: Settings, alice: User) -> None:
    ticket = auth.create_ticket(session, alice.id or 0)
    session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert auth.activate_ticket(session, ticket, settings) is None


def test_forged_expired_and_revoked_sessions(
    session: Session, settings: Settings, alice: User
) -> None:
    token = auth.create_session(session, alice.id or 0, settings)
    session.commit()
    assert auth.user_for_token(session, "forged-token") is None
    assert auth.user_for_token(session, "") is None
    assert auth.user_for_token(session, token) is not None
    stored = session.exec(select(UserSession)).one()
    assert stored.token_hash == auth.hash_token(token) and token not in stored.token_hash
    assert auth.revoke(session, token)
    session.commit()
    assert auth.user_for_token(session, token) is None
    other = auth.create_session(session, alice.id or 0, settings)
    session.execute(
        update(UserSession)
        .where(col(UserSession.token_hash) == auth.hash_token(other))
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    session.commit()
    assert auth.user_for_token(session, other) is None


def test_csrf_token_is_bound_to_the_session(settings: Settings) -> None:
    token = auth.new_token()
    good = auth.csrf_token(token, settings)
    assert auth.check_csrf(token, good, settings)
    assert not auth.check_csrf(auth.new_token(), good, settings)
    assert not auth.check_csrf(token, None, settings)


def test_oauth_creates_then_links_then_matches_email(
    session: Session, settings: Settings, alice: User
) -> None:
    new = auth.sign_in_with_oauth(
        session, settings, "google", "sub-1", "dan@example.com", True, "Dan Smith"
    )
    session.commit()
    assert new.username == "dansmith" and new.credits == settings.signup_bonus_credits
    again = auth.sign_in_with_oauth(
        session, settings, "google", "sub-1", "dan@example.com", True, "x"
    )
    assert again.id == new.id
    linked = auth.sign_in_with_oauth(
        session, settings, "google", "sub-2", "ALICE@example.com", True, "a"
    )
    session.commit()
    assert linked.id == alice.id
    assert len(session.exec(select(OAuthAccount)).all()) == 2
    with pytest.raises(AuthFailed):
        auth.sign_in_with_oauth(session, settings, "google", "sub-3", "eve@example.com", False, "e")
