"""State handlers without a browser: instantiate the state tree, call the handlers' functions.

Background handlers are plain coroutines here (`async with self` is a no-op on a state that
is not behind a state manager), so they run directly against a migrated SQLite database.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image
from reflex.istate.data import RouterData
from reflex.state import BaseState, State
from sqlmodel import Session, select

from pixel_studio.cache import get_cache
from pixel_studio.db import get_engine, session_scope
from pixel_studio.models import User, UserSession
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.settings import get_settings
from pixel_studio.state.account import LogInState, SignUpState, next_from_query
from pixel_studio.state.auth import AuthState, login_url, session_token, session_url
from pixel_studio.state.settings_page import SettingsState
from pixel_studio.storage import get_storage, reset_storage_cache
from tests.db_fixtures import copy_sqlite

S = TypeVar("S", bound=BaseState)


def _reset_caches() -> None:
    for cached in (get_settings, get_engine, get_cache):
        cached.cache_clear()
    reset_storage_cache()


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_at_head: Path) -> Iterator[Path]:
    """The app's own settings pointed at a fresh, migrated SQLite database under tmp_path:
    a copy of one migrated once per run (tests/conftest.py), not a migration per test."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test-secret")
    for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    _reset_caches()
    copy_sqlite(sqlite_at_head, tmp_path / "pixel_studio.db")
    assert get_settings().resolved_database_url == f"sqlite:///{tmp_path / 'pixel_studio.db'}"
    yield tmp_path
    get_engine().dispose()
    _reset_caches()


def make_state(
    cls: type[S], *, cookie: str = "", path: str = "/", ip: str = "10.0.0.1", token: str = ""
) -> S:
    """A fresh state tree with the router as the socket would fill it; returns `cls`'s state.
    `token` is the tab's client token."""
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]  # how Reflex builds one
    headers = {"origin": "http://localhost:3000", "cookie": cookie}
    root.router = RouterData.from_router_data(
        {
            "headers": headers,
            "ip": ip,
            "asPath": path,
            "pathname": path.split("?")[0],
            "token": token,
        }
    )
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(state, cls)
    return state


def shell_of(state: BaseState) -> AuthState:
    """The tab's AuthState, next to `state` in the same tree."""
    assert state.parent_state is not None
    shell = state.parent_state.get_substate([AuthState.get_name()])
    assert isinstance(shell, AuthState)
    return shell


def signed_in_state(cls: type[S], cookie: str, path: str = "/") -> S:
    """`make_state`, then the page's `AuthState.require_user` (as every account page runs)."""
    state = make_state(cls, cookie=cookie, path=path)
    assert run(AuthState.require_user, shell_of(state)) is None
    return state


def run(handler: Any, state: BaseState, *args: Any) -> Any:
    """Call an event handler's function; await it if it is a coroutine (background events)."""
    result = handler.fn(state, *args)
    if not asyncio.iscoroutine(result):
        return result
    # In its own thread: after the browser tests, Playwright's sync API owns this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, result).result()


def script_of(spec: Any) -> str:
    """The JavaScript of an `rx.call_script` event spec."""
    name, value = spec.args[0]
    assert str(name) == "javascript_code"
    return str(value._var_value)


def new_user(name: str = "alice", password: str = "correct horse") -> User:
    with session_scope() as s:
        return users.create_user(s, name, f"{name}@example.com", password, bonus=5)


def signed_in_cookie(user: User) -> str:
    with session_scope() as s:
        token = auth.create_session(s, user.id or 0, get_settings())
    return f"other=1; ps_session={token}"


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ps_session=abc", "abc"),
        ("a=1; ps_session=abc; b=2", "abc"),
        ('ps_session="abc"', "abc"),
        # Another localhost app's malformed cookie must not hide ours.
        ('weird="unterminated; ps_session=abc', "abc"),
        ("x_ps_session=abc", None),
        ("ps_session=", None),
        ("", None),
        (None, None),
    ],
)
def test_session_token_from_cookie_header(header: str | None, expected: str | None) -> None:
    assert session_token(header) == expected


def test_next_paths_stay_on_site() -> None:
    assert login_url("/settings") == "/login?next=%2Fsettings"
    assert login_url("//evil.example") == "/login?next=%2Fhome"
    assert session_url("t1", "https://evil.example/") == "/auth/session?ticket=t1&next=%2Fhome"
    assert next_from_query({"next": "/settings"}) == "/settings"
    assert next_from_query({"next": "/\\evil"}) == "/home"
    assert next_from_query({}) == "/home"


# ---------------------------------------------------------------- sign-up


def test_sign_up_error_is_shown_at_its_field_and_nothing_is_written(app_db: Path) -> None:
    state = make_state(SignUpState, path="/signup")
    run(SignUpState.prepare, state)
    toast = run(
        SignUpState.submit, state, {"username": "x", "email": "a@b.co", "password": "longpassword"}
    )
    assert "Username must be 3" in state.username_error
    assert state.email_error == state.password_error == state.form_error == ""
    assert state.submitting is False
    assert "Username must be 3" in str(toast)
    with Session(get_engine()) as s:
        assert s.exec(select(User)).all() == []


def test_sign_up_creates_user_and_hands_a_ticket_to_the_browser(app_db: Path) -> None:
    state = make_state(SignUpState, path="/signup?next=/settings")
    run(SignUpState.prepare, state)
    assert state.next_path == "/settings"
    spec = run(
        SignUpState.submit,
        state,
        {"username": "Bob_1", "email": "bob@example.com", "password": "longpassword"},
    )
    script = script_of(spec)
    assert script.startswith('window.location.assign("/auth/session?ticket=')
    assert script.endswith('&next=%2Fsettings")')
    with Session(get_engine()) as s:
        user = s.exec(select(User)).one()
        assert (user.username, user.credits) == ("bob_1", 5)
        ticket_row = s.exec(select(UserSession)).one()
        assert ticket_row.activated is False
    # The ticket is real: the HTTP route can trade it for a session exactly once.
    ticket = script.split("ticket=")[1].split("&")[0]
    with session_scope() as s:
        assert auth.activate_ticket(s, ticket, get_settings()) is not None
        assert auth.activate_ticket(s, ticket, get_settings()) is None


def test_sign_up_taken_username(app_db: Path) -> None:
    new_user("carol")
    state = make_state(SignUpState, path="/signup")
    run(
        SignUpState.submit,
        state,
        {"username": "carol", "email": "c2@example.com", "password": "longpassword"},
    )
    assert state.username_error == "That username is taken."


# ---------------------------------------------------------------- log-in


def test_log_in_wrong_password_shows_message_and_issues_no_ticket(app_db: Path) -> None:
    new_user("dave")
    state = make_state(LogInState, path="/login")
    run(LogInState.prepare, state)
    toast = run(LogInState.submit, state, {"login": "dave", "password": "wrong password"})
    assert state.password_error == auth.WRONG_CREDENTIALS
    assert state.submitting is False
    assert auth.WRONG_CREDENTIALS in str(toast)
    with Session(get_engine()) as s:
        assert s.exec(select(UserSession)).all() == []


def test_log_in_by_email_goes_to_next(app_db: Path) -> None:
    new_user("erin")
    state = make_state(LogInState, path="/login?next=/settings&expired=1")
    run(LogInState.prepare, state)
    assert state.expired is True
    spec = run(LogInState.submit, state, {"login": "ERIN@example.com", "password": "correct horse"})
    assert script_of(spec).endswith('&next=%2Fsettings")')
    assert state.expired is False


def test_log_in_is_rate_limited_with_a_form_message(app_db: Path) -> None:
    new_user("fay")
    state = make_state(LogInState, path="/login", ip="10.9.9.9")
    for _ in range(get_settings().login_attempts_per_window):
        run(LogInState.submit, state, {"login": "fay", "password": "nope nope"})
    run(LogInState.submit, state, {"login": "fay", "password": "correct horse"})
    assert state.form_error.startswith("Too many sign-in attempts.")


# ---------------------------------------------------------------- the shell


def test_load_user_reads_the_cookie_and_keeps_the_id_server_side(app_db: Path) -> None:
    user = new_user("gus")
    state = make_state(AuthState, cookie=signed_in_cookie(user), path="/home")
    assert run(AuthState.require_user, state) is None
    assert (state.signed_in, state.username, state.credits) == (True, "gus", 5)
    assert state._user_id == user.id
    assert "_user_id" not in state.get_delta().get(AuthState.get_full_name(), {})


def test_visitors_are_sent_to_log_in_and_forged_cookies_are_ignored(app_db: Path) -> None:
    state = make_state(AuthState, cookie="ps_session=forged", path="/settings")
    spec = run(AuthState.require_user, state)
    assert state.signed_in is False
    assert "/login?next=%2Fsettings" in str(spec)


def test_log_out_revokes_the_session(app_db: Path) -> None:
    cookie = signed_in_cookie(new_user("hal"))
    state = make_state(AuthState, cookie=cookie, path="/home")
    run(AuthState.load_user, state)
    spec = run(AuthState.log_out, state)
    assert script_of(spec) == 'window.location.assign("/auth/signed-out")'
    assert state.signed_in is False and state.username == ""
    with session_scope() as s:
        assert auth.user_for_token(s, session_token(cookie)) is None


# ---------------------------------------------------------------- settings


def test_change_username_and_privacy(app_db: Path) -> None:
    cookie = signed_in_cookie(new_user("ivy"))
    settings = signed_in_state(SettingsState, cookie, "/settings")
    run(SettingsState.save_username, settings, {"username": "no spaces"})
    assert "Username must be 3" in settings.username_error
    run(SettingsState.save_username, settings, {"username": "Ivy_2"})
    assert settings.username_error == ""
    assert settings.parent_state is not None
    shell = settings.parent_state.get_substate([AuthState.get_name()])
    assert isinstance(shell, AuthState) and shell.username == "ivy_2"
    run(SettingsState.toggle_privacy, settings, True)
    assert settings.default_private is True
    with Session(get_engine()) as s:
        user = s.exec(select(User)).one()
        assert (user.username, user.default_private) == ("ivy_2", True)


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[Any]:
    from reflex_components_core.core._upload import UploadChunk

    for offset in range(0, len(data), size):
        yield UploadChunk(
            filename="a.png",
            offset=offset,
            content_type="image/png",
            data=data[offset : offset + size],
        )


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 80, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_avatar_upload_replaces_the_old_file_and_refuses_non_images(app_db: Path) -> None:
    cookie = signed_in_cookie(new_user("joy"))
    settings = signed_in_state(SettingsState, cookie, "/settings")
    run(SettingsState.upload_avatar, settings, _chunks(_png()))
    run(SettingsState.upload_avatar, settings, _chunks(_png()))
    assert settings.avatar_error == ""
    with Session(get_engine()) as s:
        key = s.exec(select(User)).one().avatar_key
    assert key and key.startswith("avatars/u") and key.endswith(".webp")
    stored = sorted(p.name for p in (app_db / "media" / key).parent.iterdir())
    assert stored == [key.rsplit("/", 1)[1]]  # the first avatar was deleted
    assert get_storage().get(key)[:4] == b"RIFF"

    run(SettingsState.upload_avatar, settings, _chunks(b"not an image at all"))
    assert settings.avatar_error.startswith("This file is not an image we accept")
    run(SettingsState.upload_avatar, settings, _chunks(b"\0" * (2 * 1024 * 1024 + 1)))
    assert settings.avatar_error == "The file is larger than 2 MB."
    with Session(get_engine()) as s:
        assert s.exec(select(User)).one().avatar_key == key
