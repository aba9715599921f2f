"""Settings' account security: change the password (this session stays, others end) and
change the address (verified first, the old one told). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from pixel_studio import mail
from pixel_studio.cache import MemoryCache
from pixel_studio.services import users
from pixel_studio.services.accounts import (
    account_security,
    api_tokens,
    auth,
    email_verification,
    oauth,
)
from pixel_studio.services.errors import AuthFailed, Conflict, InvalidInput, RateLimited
from pixel_studio.settings import Settings
from tests.mail.outbox_reader import mails_to, text_of, token_in

PASSWORD = "correct horse"
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def _mail_drained() -> Iterator[None]:
    yield
    mail.wait_idle(10)


@pytest.fixture
def ann(session: Session) -> users.User:
    user = users.create_user(session, "ann", "ann@example.com", PASSWORD, bonus=0)
    session.commit()
    return user


def subjects(settings: Settings, to: str) -> list[str]:
    mail.wait_idle(10)
    return [str(m["Subject"]).split(" · ")[0] for m in mails_to(settings.outbox_dir, to)]


def test_change_password_keeps_this_session_and_ends_the_others(
    session: Session, cache: MemoryCache, settings: Settings, ann: users.User
) -> None:
    user_id = ann.id or 0
    here = auth.create_session(session, user_id, settings)
    elsewhere = auth.create_session(session, user_id, settings)
    script = api_tokens.create_token(session, user_id, "cron").secret
    session.commit()
    ended = account_security.change_password(
        session, cache, settings, user_id, PASSWORD, "a new long secret", here, IP
    )
    session.commit()
    assert ended == 1
    assert auth.user_for_token(session, here) is not None
    assert auth.user_for_token(session, elsewhere) is None
    assert api_tokens.user_for_api_token(session, script) is not None  # documented: kept
    session.refresh(ann)
    assert users.verify_password(ann, "a new long secret")
    assert subjects(settings, "ann@example.com") == ["Your password was changed"]


def test_change_password_refusals_change_nothing(
    session: Session, cache: MemoryCache, settings: Settings, ann: users.User
) -> None:
    user_id = ann.id or 0
    here = auth.create_session(session, user_id, settings)
    session.commit()
    cases = [
        ("wrong password", "a new long secret", AuthFailed, "current_password"),
        (PASSWORD, "short", InvalidInput, "new_password"),
        ("", "a new long secret", InvalidInput, "current_password"),
    ]
    for current, new, error, field in cases:
        with pytest.raises(error) as info:
            account_security.change_password(
                session, cache, settings, user_id, current, new, here, IP
            )
        assert info.value.field == field
        session.rollback()
    session.refresh(ann)
    assert users.verify_password(ann, PASSWORD)
    assert auth.user_for_token(session, here) is not None
    assert subjects(settings, "ann@example.com") == []


def test_wrong_current_passwords_hit_the_sign_in_limit(
    session: Session, settings: Settings, ann: users.User
) -> None:
    cache = MemoryCache()
    limited = settings.model_copy(update={"login_attempts_per_window": 3})
    for _ in range(3):
        with pytest.raises(AuthFailed):
            account_security.change_password(
                session, cache, limited, ann.id or 0, "guess!!!", "a new long secret", None, IP
            )
    with pytest.raises(RateLimited):
        account_security.change_password(
            session, cache, limited, ann.id or 0, "guess!!!", "a new long secret", None, IP
        )


def test_change_email_takes_effect_when_the_new_address_verifies(
    session: Session, cache: MemoryCache, settings: Settings, ann: users.User
) -> None:
    user_id = ann.id or 0
    new = account_security.change_email(
        session, cache, settings, user_id, PASSWORD, " Ann.New@Example.com ", IP
    )
    session.commit()
    assert new == "ann.new@example.com"
    view = account_security.view(session, user_id)
    assert (view.email, view.pending_email, view.verified) == (
        "ann@example.com",
        "ann.new@example.com",
        False,
    )
    mail.wait_idle(10)
    notice = mails_to(settings.outbox_dir, "ann@example.com")
    assert [m["Subject"].split(" · ")[0] for m in notice] == ["Your email address is being changed"]
    assert "ann.new@example.com" in text_of(notice[0])
    [link] = mails_to(settings.outbox_dir, "ann.new@example.com")
    assert "takes effect" in text_of(link)

    done = email_verification.verify(session, settings, token_in(link, "/verify"))
    session.commit()
    assert done.changed and done.email == "ann.new@example.com"
    view = account_security.view(session, user_id)
    assert (view.email, view.pending_email, view.verified) == ("ann.new@example.com", "", True)
    # Signing in by the new address works, by the old one no more.
    assert auth.authenticate(session, cache, settings, "ann.new@example.com", PASSWORD, IP)
    with pytest.raises(AuthFailed):
        auth.authenticate(session, cache, settings, "ann@example.com", PASSWORD, IP)


def test_change_email_refusals(
    session: Session, cache: MemoryCache, settings: Settings, ann: users.User
) -> None:
    users.create_user(session, "bob", "bob@example.com", PASSWORD, bonus=0)
    session.commit()
    user_id = ann.id or 0
    cases = [
        (PASSWORD, "not an address", InvalidInput, "new_email"),
        (PASSWORD, "ann@example.com", InvalidInput, "new_email"),
        (PASSWORD, "bob@example.com", Conflict, "new_email"),
        ("wrong password", "ann2@example.com", AuthFailed, "current_password"),
    ]
    for password, email, error, field in cases:
        with pytest.raises(error) as info:
            account_security.change_email(session, cache, settings, user_id, password, email, IP)
        assert info.value.field == field
        session.rollback()
    assert subjects(settings, "ann@example.com") == []
    assert account_security.view(session, user_id).pending_email == ""


def test_change_email_is_rate_limited_per_account(
    session: Session, settings: Settings, ann: users.User
) -> None:
    cache = MemoryCache()
    for n in range(3):
        account_security.change_email(
            session, cache, settings, ann.id or 0, PASSWORD, f"a{n}@example.com", IP
        )
        session.commit()
    with pytest.raises(RateLimited):
        account_security.change_email(
            session, cache, settings, ann.id or 0, PASSWORD, "a9@example.com", IP
        )


def test_an_account_without_password_is_told_how_to_set_one(
    session: Session, cache: MemoryCache, settings: Settings
) -> None:
    user = oauth.sign_in_with_oauth(session, settings, "google", "s-1", "g@example.com", True, "G")
    session.commit()
    assert not account_security.view(session, user.id or 0).has_password
    with pytest.raises(InvalidInput) as info:
        account_security.change_password(
            session, cache, settings, user.id or 0, "", "a new long secret", None, IP
        )
    assert "Forgot password?" in info.value.message


def test_a_stale_link_cannot_move_the_account_back(
    session: Session, cache: MemoryCache, settings: Settings, ann: users.User
) -> None:
    """Asked to move to A, then to B; B confirmed: A's link (and the old address's reset
    links) no longer do anything."""
    from pixel_studio.services.accounts import password_reset

    user_id = ann.id or 0
    password_reset.send_reset_link(session, cache, settings, "ann")
    for new in ("a@example.com", "b@example.com"):
        account_security.change_email(session, cache, settings, user_id, PASSWORD, new, IP)
        session.commit()
    mail.wait_idle(10)
    [to_a] = mails_to(settings.outbox_dir, "a@example.com")
    [to_b] = mails_to(settings.outbox_dir, "b@example.com")
    [reset] = [
        m for m in mails_to(settings.outbox_dir, "ann@example.com") if "Reset" in m["Subject"]
    ]
    email_verification.verify(session, settings, token_in(to_b, "/verify"))
    session.commit()
    with pytest.raises(InvalidInput):
        email_verification.verify(session, settings, token_in(to_a, "/verify"))
    with pytest.raises(InvalidInput):
        password_reset.reset_password(
            session, settings, token_in(reset, "/reset-password"), "taken over pw"
        )
    session.rollback()
    assert account_security.view(session, user_id).email == "b@example.com"
