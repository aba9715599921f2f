"""Session checks for open tabs (session_user_id) and "sign out everywhere" (revoke_all)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.db import utcnow
from pixel_studio.models import User, UserSession
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings


def make_user(session: Session, name: str) -> User:
    user = users.create_user(session, name, f"{name}@example.com", "correct horse", bonus=5)
    session.commit()
    return user


def test_session_user_id_answers_only_for_live_sessions(
    session: Session, settings: Settings
) -> None:
    alice = make_user(session, "alice")
    assert alice.id is not None
    token = auth.create_session(session, alice.id, settings)
    ticket = auth.create_ticket(session, alice.id)
    stale = auth.create_session(session, alice.id, settings)
    session.execute(
        update(UserSession)
        .where(col(UserSession.token_hash) == auth.hash_token(stale))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    assert auth.session_user_id(session, token) == alice.id
    for refused in (None, "", "forged", "x" * 200, ticket, stale):
        assert auth.session_user_id(session, refused) is None, refused
    auth.revoke(session, token)
    session.commit()
    assert auth.session_user_id(session, token) is None


def test_revoke_all_ends_every_session_of_one_user_only(
    session: Session, settings: Settings
) -> None:
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    assert alice.id is not None and bob.id is not None
    laptop = auth.create_session(session, alice.id, settings)
    phone = auth.create_session(session, alice.id, settings)
    ticket = auth.create_ticket(session, alice.id)
    already = auth.create_session(session, alice.id, settings)
    auth.revoke(session, already)
    bobs = auth.create_session(session, bob.id, settings)
    session.commit()
    before = session.exec(
        select(UserSession.revoked_at).where(UserSession.token_hash == auth.hash_token(already))
    ).one()

    assert auth.revoke_all(session, alice.id) == 3  # laptop, phone and the unused ticket
    session.commit()
    for token in (laptop, phone):
        assert auth.session_user_id(session, token) is None
    assert auth.activate_ticket(session, ticket, settings) is None
    assert auth.session_user_id(session, bobs) == bob.id
    # An already revoked session keeps the moment it was revoked.
    after = session.exec(
        select(UserSession.revoked_at).where(UserSession.token_hash == auth.hash_token(already))
    ).one()
    assert after == before
    assert auth.revoke_all(session, alice.id) == 0
