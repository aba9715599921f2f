"""Verification links and password resets: single use, expiry, hashed storage, the same
answer for unknown accounts, rate limits, and what a reset revokes. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from pixel_studio import mail
from pixel_studio.cache import MemoryCache
from pixel_studio.db import utcnow
from pixel_studio.models import AccountToken, User
from pixel_studio.services import users
from pixel_studio.services.accounts import (
    account_tokens,
    api_tokens,
    auth,
    email_verification,
    oauth,
    password_reset,
)
from pixel_studio.services.errors import Conflict, InvalidInput, RateLimited
from pixel_studio.settings import Settings
from tests.mail.outbox_reader import mails_to, text_of, token_in

PASSWORD = "correct horse"
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def _mail_drained() -> Iterator[None]:
    yield
    mail.wait_idle(10)


def sign_up(session: Session, cache: MemoryCache, settings: Settings, name: str) -> User:
    user = auth.sign_up(
        session, cache, settings, name, f"{name}@example.com", PASSWORD, "198.51.100.1"
    )
    session.commit()
    return user


def last_mail(settings: Settings, to: str, subject: str) -> EmailMessage:
    mail.wait_idle(10)
    found = [m for m in mails_to(settings.outbox_dir, to) if m["Subject"].startswith(subject)]
    assert found, f"no {subject!r} mail to {to}"
    return found[-1]


def ask(session: Session, cache: MemoryCache, settings: Settings, login: str, ip: str) -> str:
    """ "Forgot password" as the page asks it, with the queued half run at once."""

    def run_job(name: str) -> None:
        password_reset.send_reset_link(session, cache, settings, name)
        session.commit()

    return password_reset.request_reset(cache, settings, login, ip, run_job)


def expire(session: Session, token_id: int | None) -> None:
    session.execute(
        update(AccountToken)
        .where(col(AccountToken.id) == token_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()


# --- verification ------------------------------------------------------------------------


def test_sign_up_mails_a_link_that_verifies_once(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    assert not ann.email_verified
    message = last_mail(settings, "ann@example.com", "Confirm your email address")
    assert "ann" in text_of(message) and "24 hours" in text_of(message)
    token = token_in(message, "/verify")

    done = email_verification.verify(session, settings, token)
    session.commit()
    assert done == email_verification.Verified("ann@example.com", changed=False)
    session.refresh(ann)
    assert ann.email_verified
    with pytest.raises(InvalidInput):  # single use
        email_verification.verify(session, settings, token)


def test_links_are_stored_hashed_signed_and_bound_to_their_purpose(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    token = token_in(last_mail(settings, "ann@example.com", "Confirm"), "/verify")
    secret = token.rsplit(".", 1)[0]
    row = session.exec(select(AccountToken).where(AccountToken.user_id == ann.id)).one()
    assert row.token_hash == account_tokens.secret_hash(secret)
    assert secret not in row.token_hash and token not in row.token_hash
    # A verification link is no reset link, and a tampered signature is nothing at all.
    assert not password_reset.check_link(session, settings, token)
    for forged in (secret, f"{secret}.AAAAAAAAAAAAAAAAAAAAAA", "x" * 500, "", "."):
        with pytest.raises(InvalidInput):
            email_verification.verify(session, settings, forged)
    other_key = settings.model_copy(update={"secret_key": "another key"})
    with pytest.raises(InvalidInput):
        email_verification.verify(session, other_key, token)
    assert email_verification.verify(session, settings, token).email == "ann@example.com"


def test_a_verification_link_expires_after_24_hours(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    row = session.exec(select(AccountToken).where(AccountToken.user_id == ann.id)).one()
    assert timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
    token = token_in(last_mail(settings, "ann@example.com", "Confirm"), "/verify")
    expire(session, row.id)
    with pytest.raises(InvalidInput):
        email_verification.verify(session, settings, token)
    session.refresh(ann)
    assert not ann.email_verified


def test_resend_is_rate_limited_and_refused_once_verified(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    allowed = 3  # RATE_LIMIT_ACCOUNT_MAIL's default: 3/hour per account
    for _ in range(allowed):
        assert email_verification.resend(session, cache, settings, ann.id or 0, IP)
        session.commit()
    with pytest.raises(RateLimited) as limited:
        email_verification.resend(session, cache, settings, ann.id or 0, IP)
    assert limited.value.retry_after > 0
    mail.wait_idle(10)
    assert len(mails_to(settings.outbox_dir, "ann@example.com")) == 1 + allowed
    # Any of the links verifies; the account then needs no more of them.
    token = token_in(last_mail(settings, "ann@example.com", "Confirm"), "/verify")
    email_verification.verify(session, settings, token)
    session.commit()
    with pytest.raises(InvalidInput):
        email_verification.resend(session, MemoryCache(), settings, ann.id or 0, IP)


def test_google_sign_up_is_verified_from_the_start(session: Session, settings: Settings) -> None:
    user = oauth.sign_in_with_oauth(
        session, settings, "google", "sub-1", "dan@example.com", True, "Dan"
    )
    assert user.email_verified


# --- forgot password ---------------------------------------------------------------------


def test_the_answer_is_the_same_for_unknown_accounts(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    sign_up(session, cache, settings, "ann")
    before = session.exec(select(AccountToken)).all()
    answers = {
        ask(session, cache, settings, login, IP)
        for login in ("ann", "ANN@example.com", "nobody", "nobody@example.com")
    }
    session.commit()
    assert answers == {password_reset.SENT}
    mail.wait_idle(10)
    assert mails_to(settings.outbox_dir, "nobody@example.com") == []
    resets = [
        m for m in mails_to(settings.outbox_dir, "ann@example.com") if "Reset" in m["Subject"]
    ]
    assert len(resets) == 2  # one per request that named her
    assert len(session.exec(select(AccountToken)).all()) == len(before) + 2
    with pytest.raises(InvalidInput):
        ask(session, cache, settings, "  ", IP)


def test_the_request_itself_only_queues_so_it_takes_the_same_time(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    """Finding the account and writing its token happen in the job: the request does the
    same work, and touches no account row, whoever it names."""
    sign_up(session, cache, settings, "ann")
    tokens_before = len(session.exec(select(AccountToken)).all())
    queued: list[str] = []
    for login in (" ANN ", "nobody@example.com"):
        answer = password_reset.request_reset(cache, settings, login, IP, queued.append)
        assert answer == password_reset.SENT
    assert queued == ["ann", "nobody@example.com"]
    assert len(session.exec(select(AccountToken)).all()) == tokens_before
    assert password_reset.send_reset_link(session, cache, settings, "ann")
    assert not password_reset.send_reset_link(session, cache, settings, "nobody@example.com")


def test_reset_requests_are_limited_per_network_and_per_account(
    session: Session, settings: Settings
) -> None:
    cache = MemoryCache()
    sign_up(session, cache, settings, "ann")
    # Per account: past 3 an hour nothing more is sent, with the same answer (a 429 for
    # real accounts only would tell which exist), and unknown names are counted alike.
    for login in ("ann", "ann", "ann", "ann", "ann@example.com"):
        assert ask(session, cache, settings, login, IP) is not None
    session.commit()
    mail.wait_idle(10)
    resets = [
        m for m in mails_to(settings.outbox_dir, "ann@example.com") if "Reset" in m["Subject"]
    ]
    assert len(resets) == 3
    # Per network: 10 an hour, then a 429 whatever account is named.
    for n in range(5):
        ask(session, cache, settings, f"ghost{n}", IP)
    with pytest.raises(RateLimited):
        ask(session, cache, settings, "someone", IP)
    # Another network still may (its own allowance), but not for the limited account.
    assert ask(session, cache, settings, "bob", "192.0.2.9")


def test_reset_sets_the_password_and_revokes_every_session_and_token(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    user_id = ann.id or 0
    browser = auth.create_session(session, user_id, settings)
    phone = auth.create_session(session, user_id, settings)
    script = api_tokens.create_token(session, user_id, "backup").secret
    ask(session, cache, settings, "ann", IP)
    session.commit()
    message = last_mail(settings, "ann@example.com", "Reset your password")
    token = token_in(message, "/reset-password")
    assert password_reset.check_link(session, settings, token)

    with pytest.raises(InvalidInput) as weak:  # the sign-up rule, before the link is spent
        password_reset.reset_password(session, settings, token, "short")
    assert weak.value.field == "password"
    assert password_reset.check_link(session, settings, token)

    password_reset.reset_password(session, settings, token, "a brand new secret")
    session.commit()
    for old in (browser, phone):
        assert auth.user_for_token(session, old) is None
    assert api_tokens.user_for_api_token(session, script) is None
    session.refresh(ann)
    assert users.verify_password(ann, "a brand new secret")
    assert not users.verify_password(ann, PASSWORD)
    assert ann.email_verified  # the link reached her address
    notice = last_mail(settings, "ann@example.com", "Your password was changed")
    assert "Forgot password?" in text_of(notice)
    # Single use, and the form is no longer offered.
    assert not password_reset.check_link(session, settings, token)
    with pytest.raises(InvalidInput):
        password_reset.reset_password(session, settings, token, "yet another secret")


def test_a_reset_link_expires_after_30_minutes_and_older_links_die(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    sign_up(session, cache, settings, "ann")
    ask(session, cache, settings, "ann", IP)
    session.commit()
    first = token_in(last_mail(settings, "ann@example.com", "Reset"), "/reset-password")
    row = session.exec(
        select(AccountToken).where(AccountToken.purpose == account_tokens.RESET_PASSWORD)
    ).one()
    assert row.expires_at - row.created_at == timedelta(minutes=30)
    ask(session, cache, settings, "ann", IP)
    session.commit()
    second = token_in(last_mail(settings, "ann@example.com", "Reset"), "/reset-password")
    assert second != first
    expire(session, row.id)
    with pytest.raises(InvalidInput):
        password_reset.reset_password(session, settings, first, "a brand new secret")
    password_reset.reset_password(session, settings, second, "a brand new secret")
    session.commit()


def test_two_links_at_once_only_the_first_reset_wins(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    sign_up(session, cache, settings, "ann")
    for _ in range(2):
        ask(session, cache, settings, "ann", IP)
    session.commit()
    mail.wait_idle(10)
    links = [
        token_in(m, "/reset-password")
        for m in mails_to(settings.outbox_dir, "ann@example.com")
        if "Reset" in m["Subject"]
    ]
    password_reset.reset_password(session, settings, links[0], "first new secret")
    session.commit()
    with pytest.raises(InvalidInput):  # the other one died with the reset
        password_reset.reset_password(session, settings, links[1], "second new secret")


def test_suspended_accounts_get_no_reset_link(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    ann.suspended_at = utcnow()
    session.add(ann)
    session.commit()
    assert ask(session, cache, settings, "ann", IP) == password_reset.SENT
    session.commit()
    mail.wait_idle(10)
    assert not [
        m for m in mails_to(settings.outbox_dir, "ann@example.com") if "Reset" in m["Subject"]
    ]


def test_verifying_a_new_address_taken_meanwhile_is_refused(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    ann = sign_up(session, cache, settings, "ann")
    email_verification.send_verification(session, settings, ann, "shared@example.com")
    session.commit()
    token = token_in(last_mail(settings, "shared@example.com", "Confirm"), "/verify")
    users.create_user(session, "bob", "shared@example.com", PASSWORD, bonus=0)
    session.commit()
    with pytest.raises(Conflict):
        email_verification.verify(session, settings, token)
    session.rollback()
    session.refresh(ann)
    assert ann.email == "ann@example.com"
