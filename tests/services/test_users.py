from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pixel_studio.models import CreditKind, CreditTransaction, User
from pixel_studio.services import credits, users
from pixel_studio.services.errors import Conflict, InvalidInput


def signup(session: Session, name: str = "alice", email: str = "alice@example.com") -> User:
    user = users.create_user(session, name, email, "correct horse", bonus=5)
    session.commit()
    return user


def test_sign_up_stores_lowercase_name_hash_and_bonus(session: Session) -> None:
    user = users.create_user(session, "Alice_01", "Alice@Example.com", "correct horse", bonus=5)
    session.commit()
    assert user.username == "alice_01"
    assert user.email == "alice@example.com"
    assert user.password_hash and "correct horse" not in user.password_hash
    assert users.verify_password(user, "correct horse")
    assert not users.verify_password(user, "wrong horse")
    assert user.credits == 5
    ledger = session.exec(select(CreditTransaction)).all()
    assert [(t.kind, t.amount, t.balance_after) for t in ledger] == [(CreditKind.bonus, 5, 5)]
    assert credits.ledger_sum(session, user.id or 0) == user.credits


@pytest.mark.parametrize(
    ("username", "email", "password", "field", "message"),
    [
        ("ab", "a@example.com", "longenough", "username", "3–20 characters"),
        ("a" * 21, "a@example.com", "longenough", "username", "3–20 characters"),
        ("bad name", "a@example.com", "longenough", "username", "3–20 characters"),
        ("bob", "not-an-email", "longenough", "email", "valid email"),
        # PostgreSQL refuses NUL in text: it must be a field error, never a 500.
        ("bob", "a\x00b@example.com", "longenough", "email", "valid email"),
        ("bo\x00b", "a@example.com", "longenough", "username", "3–20 characters"),
        ("bob", "a@example.com", "short", "password", "at least 8"),
    ],
)
def test_sign_up_refuses_bad_input_and_writes_nothing(
    session: Session, username: str, email: str, password: str, field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        users.create_user(session, username, email, password, bonus=5)
    assert err.value.field == field
    assert message in err.value.message
    session.rollback()
    assert session.exec(select(User)).all() == []
    assert session.exec(select(CreditTransaction)).all() == []


def test_taken_username_and_email_are_refused(session: Session) -> None:
    signup(session)
    with pytest.raises(Conflict) as err:
        users.create_user(session, "ALICE", "other@example.com", "longenough", bonus=5)
    assert err.value.field == "username"
    with pytest.raises(Conflict) as err:
        users.create_user(session, "other", "ALICE@example.com", "longenough", bonus=5)
    assert err.value.field == "email"
    session.rollback()
    assert len(session.exec(select(User)).all()) == 1


def test_find_by_login_accepts_username_or_email(session: Session) -> None:
    user = signup(session)
    assert users.find_by_login(session, "ALICE") == user
    assert users.find_by_login(session, "alice@EXAMPLE.com") == user
    assert users.find_by_login(session, "nobody") is None
    with pytest.raises(InvalidInput) as err:
        users.find_by_login(session, "alice@exa\x00mple.com")
    assert err.value.field == "login"


def test_change_username_follows_the_same_rules(session: Session) -> None:
    user = signup(session)
    signup(session, "bob", "bob@example.com")
    with pytest.raises(Conflict):
        users.change_username(session, user.id or 0, "Bob")
    with pytest.raises(InvalidInput):
        users.change_username(session, user.id or 0, "no")
    session.rollback()
    users.change_username(session, user.id or 0, "Alice_New")
    session.commit()
    assert users.get_user(session, user.id or 0).username == "alice_new"


def test_default_privacy_and_avatar(session: Session) -> None:
    user = signup(session)
    users.set_default_privacy(session, user.id or 0, True)
    _, old = users.set_avatar_key(session, user.id or 0, "avatars/u1/a.webp")
    session.commit()
    assert old is None
    fresh = users.get_user(session, user.id or 0)
    assert fresh.default_private is True
    assert fresh.avatar_key == "avatars/u1/a.webp"
