"""API token rules of issue 13 (item 6), on SQLite and PostgreSQL: minting needs the password
or a fresh sign-in, tokens have a scope and may expire, and "sign out everywhere" can take
every token with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from pixel_studio.cache import MemoryCache
from pixel_studio.db import utcnow
from pixel_studio.models import ApiToken, User, UserSession
from pixel_studio.services import users
from pixel_studio.services.accounts import api_tokens, auth, sessions
from pixel_studio.services.errors import AuthFailed, InvalidInput, RateLimited
from pixel_studio.settings import Settings

PASSWORD = "correct horse"


def make_user(session: Session, name: str, password: str | None = PASSWORD) -> User:
    user = users.create_user(session, name, f"{name}@example.com", password, bonus=5)
    session.commit()
    return user


def stale(session: Session, token: str) -> None:
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == auth.hash_token(token))
    ).one()
    row.authenticated_at = utcnow() - sessions.FRESH_SIGN_IN - timedelta(minutes=1)
    session.add(row)
    session.commit()


def count_tokens(session: Session, user_id: int) -> int:
    return len(api_tokens.list_tokens(session, user_id))


def mint(
    session: Session,
    cache: MemoryCache,
    settings: Settings,
    user_id: int,
    cookie: str | None,
    password: str = "",
    **request: object,
) -> api_tokens.NewToken:
    return api_tokens.create_proven_token(
        session,
        cache,
        settings,
        user_id,
        {"name": "script", **request},
        password=password,
        session_token=cookie,
    )


def test_minting_needs_the_password_or_a_fresh_sign_in(
    session: Session, settings: Settings, cache: MemoryCache
) -> None:
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    assert alice.id is not None and bob.id is not None
    cookie = auth.create_session(session, alice.id, settings)
    session.commit()

    assert mint(session, cache, settings, alice.id, cookie).secret.startswith("ps_")  # fresh
    with pytest.raises(AuthFailed) as refused:  # bob's id with alice's fresh cookie
        mint(session, cache, settings, bob.id, cookie)
    assert refused.value.field == "password"

    stale(session, cookie)  # a stolen cookie, long after its sign-in
    with pytest.raises(AuthFailed) as refused:
        mint(session, cache, settings, alice.id, cookie)
    assert refused.value.message == api_tokens.PROOF_NEEDED
    with pytest.raises(AuthFailed) as refused:
        mint(session, cache, settings, alice.id, cookie, password="guess")
    assert refused.value.message == api_tokens.WRONG_PASSWORD
    assert count_tokens(session, alice.id) == 1  # nothing written by the refusals

    made = mint(session, cache, settings, alice.id, cookie, password=PASSWORD)
    assert api_tokens.user_for_api_token(session, made.secret) is not None
    assert count_tokens(session, alice.id) == 2


def test_wrong_passwords_count_against_the_account(
    session: Session, settings: Settings, cache: MemoryCache
) -> None:
    alice = make_user(session, "alice")
    assert alice.id is not None
    cookie = auth.create_session(session, alice.id, settings)
    session.commit()
    stale(session, cookie)
    with pytest.raises(RateLimited):  # noqa: PT012 - the limit is reached inside the loop
        for _ in range(settings.login_attempts_per_window + 1):
            with pytest.raises(AuthFailed):
                mint(session, cache, settings, alice.id, cookie, password="guess")
    assert count_tokens(session, alice.id) == 0


def test_a_google_only_account_mints_only_from_a_fresh_sign_in(
    session: Session, settings: Settings, cache: MemoryCache
) -> None:
    gail = make_user(session, "gail", password=None)
    assert gail.id is not None
    cookie = auth.create_session(session, gail.id, settings)
    session.commit()
    mint(session, cache, settings, gail.id, cookie)
    stale(session, cookie)
    with pytest.raises(AuthFailed):
        mint(session, cache, settings, gail.id, cookie, password="anything")
    assert count_tokens(session, gail.id) == 1


def test_scope_and_expiry(session: Session, settings: Settings, cache: MemoryCache) -> None:
    alice = make_user(session, "alice")
    assert alice.id is not None
    cookie = auth.create_session(session, alice.id, settings)
    session.commit()
    reader = mint(session, cache, settings, alice.id, cookie, scope="read", expires_days="30")
    writer = mint(session, cache, settings, alice.id, cookie)
    assert (reader.info.scope, writer.info.scope) == ("read", "write")
    assert writer.info.expires_at is None and reader.info.expires_at is not None
    assert timedelta(days=29) < reader.info.expires_at - utcnow() <= timedelta(days=30)

    found = api_tokens.token_owner(session, reader.secret)
    assert found is not None and (found[0].id, found[1]) == (alice.id, "read")

    for bad in ({"scope": "admin"}, {"expires_days": 5}, {"expires_days": "soon"}):
        with pytest.raises(InvalidInput):
            mint(session, cache, settings, alice.id, cookie, **bad)
    assert count_tokens(session, alice.id) == 2

    row = session.get(ApiToken, reader.info.id)
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert api_tokens.token_owner(session, reader.secret) is None  # expired: refused
    assert api_tokens.user_for_api_token(session, writer.secret) is not None


def test_revoke_all_tokens_takes_only_that_users(session: Session, settings: Settings) -> None:
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    assert alice.id is not None and bob.id is not None
    mine = [api_tokens.create_token(session, alice.id, n) for n in ("a", "b")]
    theirs = api_tokens.create_token(session, bob.id, "c")
    assert api_tokens.revoke_all_tokens(session, alice.id) == 2
    auth.revoke_all(session, alice.id)
    session.commit()
    assert all(api_tokens.user_for_api_token(session, t.secret) is None for t in mine)
    assert api_tokens.user_for_api_token(session, theirs.secret) is not None
