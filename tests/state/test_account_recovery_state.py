"""The verify, forgot-password and reset-password pages' states, and settings' Email and
Password sections, without a browser (the harness of test_account_state.py, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from pixel_studio import mail
from pixel_studio.cache import get_cache
from pixel_studio.db import session_scope
from pixel_studio.models import User
from pixel_studio.services import users
from pixel_studio.services.accounts import auth, password_reset
from pixel_studio.settings import get_settings
from pixel_studio.state.account_recovery import (
    ForgotPasswordState,
    ResetPasswordState,
    VerifyEmailState,
)
from pixel_studio.state.account_security import AccountSecurityState
from pixel_studio.state.auth import AuthState
from tests.mail.outbox_reader import mails_to, token_in, wait_for_mail
from tests.state.test_account_state import (  # noqa: F401  (app_db is a fixture)
    app_db,
    make_state,
    new_user,
    run,
    shell_of,
    signed_in_cookie,
    signed_in_state,
)


@pytest.fixture
def outbox(app_db: Path) -> Iterator[Path]:  # noqa: F811
    yield app_db / "outbox"
    mail.wait_idle(10)


def sign_up(name: str) -> User:
    with session_scope() as s:
        return auth.sign_up(
            s, get_cache(), get_settings(), name, f"{name}@example.com", "correct horse", "10.9.9.9"
        )


def test_the_verify_page_spends_its_link_once(outbox: Path) -> None:
    sign_up("ann")
    token = token_in(wait_for_mail(outbox, "ann@example.com", "Confirm"), "/verify")
    page = make_state(VerifyEmailState, path=f"/verify?token={token}")
    run(VerifyEmailState.verify, page)
    assert (page.status, page.email, page.changed) == ("verified", "ann@example.com", False)
    again = make_state(VerifyEmailState, path=f"/verify?token={token}")
    run(VerifyEmailState.verify, again)
    assert again.status == "invalid" and "already used" in again.error
    nothing = make_state(VerifyEmailState, path="/verify")
    run(VerifyEmailState.verify, nothing)
    assert nothing.status == "invalid"


def test_forgot_password_answers_alike_and_mails_only_real_accounts(outbox: Path) -> None:
    new_user("ann")
    answers = []
    for login in ("ann", "ghost"):
        form = make_state(ForgotPasswordState, path="/forgot-password")
        run(ForgotPasswordState.prepare, form)
        assert run(ForgotPasswordState.submit, form, {"login": login}) is None
        answers.append((form.sent_message, form.login_error, form.form_error))
    assert answers[0] == answers[1] == (password_reset.SENT, "", "")
    wait_for_mail(outbox, "ann@example.com", "Reset your password")
    assert mails_to(outbox, "ghost@example.com") == []
    blank = make_state(ForgotPasswordState, path="/forgot-password")
    run(ForgotPasswordState.submit, blank, {"login": " "})
    assert blank.login_error and blank.sent_message == ""


def test_reset_page_sets_the_password_and_signs_old_tabs_out(outbox: Path) -> None:
    ann = new_user("ann")
    cookie = signed_in_cookie(ann)
    old_tab = signed_in_state(AccountSecurityState, cookie, "/settings")
    form = make_state(ForgotPasswordState, path="/forgot-password")
    run(ForgotPasswordState.submit, form, {"login": "ann@example.com"})
    token = token_in(wait_for_mail(outbox, "ann@example.com", "Reset"), "/reset-password")

    bad = make_state(ResetPasswordState, path="/reset-password?token=nope")
    run(ResetPasswordState.prepare, bad)
    assert bad.status == "invalid"
    page = make_state(ResetPasswordState, path=f"/reset-password?token={token}")
    run(ResetPasswordState.prepare, page)
    assert page.status == "form"
    assert token not in str(page.dict())  # the token stays on the server
    run(ResetPasswordState.submit, page, {"password": "new secret!", "confirm": "other one"})
    assert page.confirm_error and page.status == "form"
    run(ResetPasswordState.submit, page, {"password": "short", "confirm": "short"})
    assert page.password_error.startswith("Password must be") and page.status == "form"
    run(ResetPasswordState.submit, page, {"password": "new secret!", "confirm": "new secret!"})
    assert page.status == "done"
    with session_scope() as s:
        user = s.exec(select(User).where(User.username == "ann")).one()
        assert users.verify_password(user, "new secret!")
    # The tab that was signed in before the reset is signed out at its next event.
    run(AccountSecurityState.load, old_tab)
    assert not shell_of(old_tab).signed_in
    wait_for_mail(outbox, "ann@example.com", "Your password was changed")


def test_settings_change_password_keeps_this_tab(outbox: Path) -> None:
    ann = new_user("ann")
    here = signed_in_cookie(ann)
    elsewhere = signed_in_cookie(ann)
    tab = signed_in_state(AccountSecurityState, here, "/settings")
    run(AccountSecurityState.load, tab)
    assert (tab.email, tab.verified, tab.has_password) == ("ann@example.com", False, True)

    wrong = {"current_password": "nope nope", "new_password": "brand new pw",
             "confirm_password": "brand new pw"}  # fmt: skip
    run(AccountSecurityState.change_password, tab, wrong)
    assert tab.current_password_error and not tab.changing_password
    good = {**wrong, "current_password": "correct horse"}
    run(AccountSecurityState.change_password, tab, good)
    assert tab.current_password_error == "" and tab.password_form_key == 1
    with session_scope() as s:
        assert auth.user_for_token(s, here.split("ps_session=")[1]) is not None
        assert auth.user_for_token(s, elsewhere.split("ps_session=")[1]) is None
    run(AccountSecurityState.load, tab)
    assert shell_of(tab).signed_in  # this tab is still signed in


def test_settings_change_email_and_resend(outbox: Path) -> None:
    ann = new_user("ann")
    tab = signed_in_state(AccountSecurityState, signed_in_cookie(ann), "/settings")
    run(AccountSecurityState.resend_verification, tab)
    wait_for_mail(outbox, "ann@example.com", "Confirm")
    run(AccountSecurityState.change_email, tab, {"new_email": "x", "password": "correct horse"})
    assert tab.new_email_error
    run(
        AccountSecurityState.change_email,
        tab,
        {"new_email": "ann@new.example", "password": "correct horse"},
    )
    assert tab.new_email_error == "" and tab.pending_email == "ann@new.example"
    assert tab.email == "ann@example.com"
    wait_for_mail(outbox, "ann@new.example", "Confirm")
    wait_for_mail(outbox, "ann@example.com", "Your email address is being changed")


def test_settings_handlers_refuse_an_ended_session(outbox: Path) -> None:
    ann = new_user("ann")
    cookie = signed_in_cookie(ann)
    tab = signed_in_state(AccountSecurityState, cookie, "/settings")
    with session_scope() as s:
        auth.revoke_all(s, ann.id or 0)
    events = run(AccountSecurityState.resend_verification, tab)
    assert events and not shell_of(tab).signed_in
    new_email = {"new_email": "x@y.example", "password": "correct horse"}
    new_password = {"current_password": "correct horse", "new_password": "brand new pw",
                    "confirm_password": "brand new pw"}  # fmt: skip
    assert run(AccountSecurityState.change_email, tab, new_email)  # the toast and redirect
    assert run(AccountSecurityState.change_password, tab, new_password)
    with session_scope() as s:
        row = s.get(User, ann.id)
        assert row is not None and users.verify_password(row, "correct horse")
    assert isinstance(shell_of(tab), AuthState)
    mail.wait_idle(10)
    assert mails_to(outbox, "ann@example.com") == []
