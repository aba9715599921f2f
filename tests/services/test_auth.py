from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.cache import MemoryCache
from pixel_studio.db import utcnow
from pixel_studio.models import OAuthAccount, User, UserSession
from pixel_studio.services import users
from pixel_studio.services.accounts import auth, oauth
from pixel_studio.services.errors import AuthFailed, Conflict, InvalidInput, RateLimited
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
    # The account is locked for guesses from any address…
    with pytest.raises(RateLimited) as err:
        auth.authenticate(session, cache, settings, "alice", "wrong again", "3.3.3.3")
    assert 0 < err.value.retry_after <= 15 * 60
    # …but its owner, with the right password from an address that is not limited, gets in.
    assert auth.authenticate(session, cache, settings, "alice", "correct horse", "3.3.3.3")
    # The IP that failed ten times is limited for other accounts too.
    with pytest.raises(RateLimited):
        auth.authenticate(session, cache, settings, "bob", "whatever1", "2.2.2.2")


def test_account_limit_is_shared_by_username_and_email(
    session: Session, cache: MemoryCache, settings: Settings, alice: User
) -> None:
    """Ten guesses per account, not ten per identifier (username and email are one account)."""
    for i in range(10):
        login = "alice" if i % 2 else "ALICE@example.com"
        with pytest.raises(AuthFailed):
            auth.authenticate(session, cache, settings, login, "nope nope", f"7.7.7.{i}")
    for login in ("alice", "alice@example.com"):
        with pytest.raises(RateLimited):
            auth.authenticate(session, cache, settings, login, "nope nope", "8.8.8.8")


def test_ipv6_addresses_are_counted_per_64(
    session: Session, cache: MemoryCache, settings: Settings, alice: User
) -> None:
    """One host owns a whole /64: rotating the low bits must not buy more guesses."""
    for i in range(10):
        with pytest.raises(AuthFailed):
            auth.authenticate(
                session, cache, settings, f"nobody{i}", "x" * 8, f"2001:db8:1:2::{i:x}"
            )
    with pytest.raises(RateLimited):
        auth.authenticate(session, cache, settings, "other", "x" * 8, "2001:db8:1:2:ffff::1")
    # Another /64 is another client.
    with pytest.raises(AuthFailed):
        auth.authenticate(session, cache, settings, "other", "x" * 8, "2001:db8:1:3::1")


@pytest.mark.parametrize("login", ["ali\x00ce", "alice@exa\x00mple.com"])
def test_nul_bytes_in_the_login_are_a_field_error(
    session: Session, cache: MemoryCache, settings: Settings, alice: User, login: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        auth.authenticate(session, cache, settings, login, "correct horse", "1.1.1.1")
    assert err.value.field == "login"


def test_sign_ups_are_limited_per_ip(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    limited = settings.model_copy(update={"signups_per_window": 2})
    for name in ("ann", "ben"):
        auth.sign_up(session, cache, limited, name, f"{name}@example.com", "longenough", "4.4.4.4")
    # Refused input does not use up the allowance…
    with pytest.raises(InvalidInput):
        auth.sign_up(session, cache, limited, "x", "x@example.com", "longenough", "5.5.5.5")
    with pytest.raises(RateLimited) as err:
        auth.sign_up(session, cache, limited, "cat", "cat@example.com", "longenough", "4.4.4.4")
    assert "Too many sign-ups" in err.value.message and err.value.retry_after <= 3600
    # …and another address may still sign up.
    auth.sign_up(session, cache, limited, "dan", "dan@example.com", "longenough", "5.5.5.5")
    session.commit()
    assert sorted(u.username for u in session.exec(select(User)).all()) == ["ann", "ben", "dan"]


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


def test_oauth_creates_then_links(session: Session, settings: Settings) -> None:
    new = oauth.sign_in_with_oauth(
        session, settings, "google", "sub-1", "dan@example.com", True, "Dan Smith"
    )
    session.commit()
    assert new.username == "dansmith" and new.credits == settings.signup_bonus_credits
    again = oauth.sign_in_with_oauth(
        session, settings, "google", "sub-1", "dan@example.com", True, "x"
    )
    assert again.id == new.id
    with pytest.raises(AuthFailed):
        oauth.sign_in_with_oauth(
            session, settings, "google", "sub-3", "eve@example.com", False, "e"
        )


def test_oauth_never_takes_over_a_password_account(
    session: Session, cache: MemoryCache, settings: Settings, alice: User
) -> None:
    """A verified password account: the same Google email must prove the password."""
    alice.email_verified_at = utcnow()
    session.add(alice)
    session.commit()
    with pytest.raises(oauth.PasswordNeeded) as err:
        oauth.sign_in_with_oauth(
            session, settings, "google", "sub-2", "ALICE@example.com", True, "a"
        )
    assert err.value.user_id == alice.id
    assert session.exec(select(OAuthAccount)).all() == []
    args = (session, cache, settings, alice.id or 0, "google", "sub-2", "alice@example.com")
    with pytest.raises(AuthFailed):
        oauth.link_with_password(*args, "wrong horse", "1.1.1.1")
    assert session.exec(select(OAuthAccount)).all() == []
    assert oauth.link_with_password(*args, "correct horse", "1.1.1.1").id == alice.id
    session.commit()
    linked = oauth.sign_in_with_oauth(session, settings, "google", "sub-2", "x@y.co", True, "a")
    assert linked.id == alice.id


def test_connect_oauth_to_the_signed_in_account(
    session: Session, settings: Settings, alice: User
) -> None:
    oauth.connect_oauth(session, alice.id or 0, "google", "sub-9", "alice.g@gmail.com")
    session.commit()
    assert oauth.oauth_email(session, alice.id or 0, "google") == "alice.g@gmail.com"
    bob = users.create_user(session, "bob", "bob@example.com", "correct horse", bonus=0)
    with pytest.raises(Conflict):  # one Google identity, one account
        oauth.connect_oauth(session, bob.id or 0, "google", "sub-9", "alice.g@gmail.com")
    with pytest.raises(Conflict):  # one Google identity per account
        oauth.connect_oauth(session, alice.id or 0, "google", "sub-10", "other@gmail.com")


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("José García", "jg@example.com", "josegarcia"),
        ("Zoë O'Brien-Łukasz", "z@example.com", "zoeobrienlukasz"),
        ("李小龙", "bruce.lee@example.com", "brucelee"),
        ("李小龙", "李@example.com", "user"),
        ("", "ab@example.com", "ab_"),
    ],
)
def test_oauth_usernames_follow_the_username_rule(
    session: Session, settings: Settings, name: str, email: str, expected: str
) -> None:
    user = oauth.sign_in_with_oauth(session, settings, "google", f"s-{email}", email, True, name)
    assert user.username == expected
    assert users.USERNAME_RE.match(user.username)


def test_google_claims_an_unverified_password_account_but_not_a_suspended_one(
    session: Session, settings: Settings, alice: User
) -> None:
    alice.suspended_at = utcnow()
    session.add(alice)
    session.commit()
    with pytest.raises(AuthFailed):
        oauth.sign_in_with_oauth(
            session, settings, "google", "sub-5", "alice@example.com", True, ""
        )
    session.rollback()
    session.refresh(alice)
    assert alice.password_hash is not None  # nothing wiped
    alice.suspended_at = None
    session.add(alice)
    session.commit()
    claimed = oauth.sign_in_with_oauth(
        session, settings, "google", "sub-5", "alice@example.com", True, ""
    )
    assert claimed.id == alice.id and claimed.password_hash is None and claimed.email_verified
