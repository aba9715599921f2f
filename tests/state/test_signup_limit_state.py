"""The Reflex sign-up form under the per-IP sign-up limit (same 429 message as the JSON API)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from pixel_studio.db import get_engine
from pixel_studio.models import User
from pixel_studio.settings import get_settings
from pixel_studio.state.account import LogInState, SignUpState
from tests.state.test_account_state import app_db, make_state, new_user, run

__all__ = ["app_db"]  # the fixture, used by name below


def form(name: str) -> dict[str, str]:
    return {"username": name, "email": f"{name}@example.com", "password": "longpassword"}


def test_sign_up_form_is_limited_per_ip(app_db: Path) -> None:
    allowed = get_settings().signups_per_window
    for i in range(allowed):
        state = make_state(SignUpState, path="/signup", ip="10.7.7.7")
        run(SignUpState.submit, state, form(f"user{i}"))
        assert state.form_error == ""
    state = make_state(SignUpState, path="/signup", ip="10.7.7.7")
    toast = run(SignUpState.submit, state, form("one_more"))
    assert state.form_error.startswith("Too many sign-ups")
    assert "Try again in about" in state.form_error and "Too many sign-ups" in str(toast)
    assert state.submitting is False
    # Another address is not affected.
    other = make_state(SignUpState, path="/signup", ip="10.8.8.8")
    run(SignUpState.submit, other, form("elsewhere"))
    assert other.form_error == ""
    with Session(get_engine()) as s:
        assert len(s.exec(select(User)).all()) == allowed + 1


def test_nul_byte_in_the_login_is_a_field_error(app_db: Path) -> None:
    new_user("nina")
    state = make_state(LogInState, path="/login")
    run(LogInState.submit, state, {"login": "ni\x00na", "password": "correct horse"})
    assert state.login_error == "Enter a valid username or email."
    assert state.form_error == ""
