"""Your sessions (issue 13, item 4): network and browser, last seen written cheaply, "this
device", signing one out; and the fresh-sign-in window a token may be minted in. SQLite and
PostgreSQL (the `session` fixture runs each test on both)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio.db import utcnow
from pixel_studio.models import User, UserSession
from pixel_studio.services import users
from pixel_studio.services.accounts import auth, sessions
from pixel_studio.services.errors import NotFound
from pixel_studio.settings import Settings

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def make_user(session: Session, name: str) -> User:
    user = users.create_user(session, name, f"{name}@example.com", "correct horse", bonus=5)
    session.commit()
    return user


def user_of(seen: sessions.Seen | None) -> int | None:
    return seen.user_id if seen is not None else None


def row_of(session: Session, token: str) -> UserSession:
    session.expire_all()
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == auth.hash_token(token))
    ).one()
    return row


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),  # IPv4 seen through an IPv6 socket
        ("fe80::1%eth0", "fe80::/48"),
        ("unknown", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_network_is_a_prefix_never_the_address(ip: str | None, network: str) -> None:
    assert sessions.network_of(ip) == network


def test_browser_names_from_user_agents() -> None:
    assert sessions.browser_of(CHROME) == "Chrome 131 on Linux"
    assert sessions.browser_of(FIREFOX) == "Firefox 133 on Windows"
    assert sessions.browser_of("curl/8.5.0").startswith("curl")
    assert sessions.browser_of("") == "Unknown browser"
    assert sessions.browser_of(None) == "Unknown browser"


def test_sign_in_records_when_and_where(session: Session, settings: Settings) -> None:
    alice = make_user(session, "alice")
    assert alice.id is not None
    before = utcnow()
    token = auth.create_session(session, alice.id, settings, CHROME, "203.0.113.0/24")
    session.commit()
    row = row_of(session, token)
    assert row.authenticated_at is not None and row.authenticated_at >= before
    assert (row.network, row.user_agent, row.last_seen_at) == ("203.0.113.0/24", CHROME, None)

    # The UI's way: the password is checked when the ticket is made; the cookie comes later.
    ticket = auth.create_ticket(session, alice.id)
    session.commit()
    checked_at = row_of(session, ticket).authenticated_at
    cookie = auth.activate_ticket(session, ticket, settings, FIREFOX, "198.51.100.0/24")
    session.commit()
    assert cookie is not None
    row = row_of(session, cookie)
    assert (row.authenticated_at, row.network) == (checked_at, "198.51.100.0/24")


def test_live_session_users_keeps_only_live_sessions(session: Session, settings: Settings) -> None:
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    assert alice.id is not None and bob.id is not None
    tokens = [auth.create_session(session, alice.id, settings) for _ in range(3)]
    bobs = auth.create_session(session, bob.id, settings)
    session.commit()
    ids = [row_of(session, t).id or 0 for t in [*tokens, bobs]]
    auth.revoke(session, tokens[1])
    expired = row_of(session, tokens[2])
    expired.expires_at = utcnow() - timedelta(seconds=1)
    session.add(expired)
    session.commit()
    # Revoked, expired, unknown: gone; each live one with its user.
    assert sessions.live_session_users(session, [*ids, 99_999]) == {
        ids[0]: alice.id,
        ids[3]: bob.id,
    }
    assert sessions.live_session_users(session, []) == {}
    alice_row = session.get(User, alice.id)
    assert alice_row is not None
    alice_row.suspended_at = utcnow()
    session.add(alice_row)
    session.commit()
    assert sessions.live_session_users(session, ids) == {ids[3]: bob.id}  # alice suspended


def test_touch_answers_for_live_sessions_and_writes_last_seen_rarely(
    session: Session, settings: Settings
) -> None:
    alice = make_user(session, "alice")
    assert alice.id is not None
    token = auth.create_session(session, alice.id, settings, CHROME)
    session.commit()
    seen = sessions.touch(session, token, "203.0.113.0/24")
    first = row_of(session, token)
    # The session, its user, and the balance the tab shows (the sign-up bonus).
    assert seen == sessions.Seen(first.id or 0, alice.id, 5)
    first_id, first_seen = first.id, first.last_seen_at  # the row object is refreshed below
    assert first_seen is not None and first.network == "203.0.113.0/24"

    # Within SEEN_EVERY: no write, even from another network.
    assert user_of(sessions.touch(session, token, "198.51.100.0/24")) == alice.id
    again = row_of(session, token)
    assert (again.last_seen_at, again.network) == (first_seen, "203.0.113.0/24")

    # Past it: one write, with the network it is now used from.
    session.execute(
        update(UserSession)
        .where(col(UserSession.id) == first_id)
        .values(last_seen_at=utcnow() - sessions.SEEN_EVERY - timedelta(seconds=1))
    )
    session.commit()
    assert user_of(sessions.touch(session, token, "198.51.100.0/24")) == alice.id
    later = row_of(session, token)
    assert later.last_seen_at is not None
    assert later.last_seen_at > first_seen and later.network == "198.51.100.0/24"

    ticket = auth.create_ticket(session, alice.id)
    session.commit()
    for refused in (None, "", "forged", "x" * 200, ticket):
        assert sessions.touch(session, refused) is None
    alice_row = session.get(User, alice.id)
    assert alice_row is not None
    alice_row.suspended_at = utcnow()
    session.add(alice_row)
    session.commit()
    assert sessions.touch(session, token) is None  # a suspended account: no identity
    alice_row.suspended_at = None
    session.add(alice_row)
    auth.revoke(session, token)
    session.commit()
    assert sessions.touch(session, token) is None


def test_list_marks_this_device_and_signs_one_out(session: Session, settings: Settings) -> None:
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    assert alice.id is not None and bob.id is not None
    laptop = auth.create_session(session, alice.id, settings, CHROME, "203.0.113.0/24")
    phone = auth.create_session(session, alice.id, settings, FIREFOX, "198.51.100.0/24")
    auth.create_session(session, bob.id, settings, CHROME)
    auth.create_ticket(session, alice.id)  # a ticket is not a session yet: not listed
    session.commit()

    listed = sessions.list_sessions(session, alice.id, phone)
    assert [(i.browser, i.network, i.current) for i in listed] == [
        ("Firefox 133 on Windows", "198.51.100.0/24", True),  # this device first
        ("Chrome 131 on Linux", "203.0.113.0/24", False),
    ]
    laptop_id = listed[1].id

    with pytest.raises(NotFound):  # bob cannot end alice's session
        sessions.revoke_session(session, bob.id, laptop_id)
    assert user_of(sessions.touch(session, laptop)) == alice.id

    sessions.revoke_session(session, alice.id, laptop_id)
    assert sessions.touch(session, laptop) is None
    assert user_of(sessions.touch(session, phone)) == alice.id
    assert [i.current for i in sessions.list_sessions(session, alice.id, phone)] == [True]
    with pytest.raises(NotFound):  # already ended
        sessions.revoke_session(session, alice.id, laptop_id)


def test_a_sign_in_is_fresh_for_ten_minutes(session: Session, settings: Settings) -> None:
    alice, bob = make_user(session, "alice"), make_user(session, "bob")
    assert alice.id is not None and bob.id is not None
    token = auth.create_session(session, alice.id, settings)
    session.commit()
    assert sessions.recently_authenticated(session, alice.id, token)
    assert not sessions.recently_authenticated(session, bob.id, token)  # not bob's session
    for nothing in (None, "", "x" * 200):
        assert not sessions.recently_authenticated(session, alice.id, nothing)

    row = row_of(session, token)
    row.authenticated_at = utcnow() - sessions.FRESH_SIGN_IN - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert not sessions.recently_authenticated(session, alice.id, token)
    # A session used a moment ago is still not a fresh sign-in: only a proof renews it.
    assert user_of(sessions.touch(session, token)) == alice.id
    assert not sessions.recently_authenticated(session, alice.id, token)
