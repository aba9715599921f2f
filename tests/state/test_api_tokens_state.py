"""Settings → API tokens: create (shown once), list, revoke; a revoked session mints nothing.
And a job created through the REST API shows in the user's open page, live."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from reflex.utils.format import format_ref
from sqlmodel import select

from pixel_studio.api import create_api
from pixel_studio.db import session_scope, utcnow
from pixel_studio.models import UserSession
from pixel_studio.services.accounts import api_tokens
from pixel_studio.state import live
from pixel_studio.state.api_tokens import (
    NAME_INPUT_ID,
    PASSWORD_INPUT_ID,
    SECRET_INPUT_ID,
    ApiTokensState,
)
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    new_user,
    run,
    signed_in_cookie,
    signed_in_state,
)
from tests.state.test_jobs_state import (  # noqa: F401 - live_db is a fixture
    FakeApp,
    live_db,
    run_async,
    tab_for,
)

IDS = (SECRET_INPUT_ID, NAME_INPUT_ID, PASSWORD_INPUT_ID)


def set_values(result: Any) -> dict[str, str]:
    """What the handler's `rx.set_value` events write into the page, by element id."""
    found: dict[str, str] = {}
    for spec in result if isinstance(result, list) else [result]:
        if spec is None or "_set_value" not in str(spec.handler.fn.__qualname__):
            continue
        args = {str(k): v for k, v in spec.args}
        ref = str(args["ref"]._var_value if hasattr(args["ref"], "_var_value") else args["ref"])
        value = args["value"]
        found[ref] = str(getattr(value, "_var_value", value))
    return {element: found[format_ref(element)] for element in IDS if format_ref(element) in found}


def no_secret_in_state(state: ApiTokensState, secret: str) -> None:
    """The secret is in no field of the state, public or backend-only."""
    assert secret not in json.dumps(state.dict(), default=str)
    assert secret not in repr(vars(state))


def make_stale(user_id: int) -> None:
    """The user's sessions signed in 11 minutes ago: past the fresh-sign-in window."""
    with session_scope() as s:
        for row in s.exec(select(UserSession).where(UserSession.user_id == user_id)).all():
            row.authenticated_at = utcnow() - timedelta(minutes=11)
            s.add(row)


def test_create_list_and_revoke_a_token(app_db: Path) -> None:  # noqa: F811
    user = new_user("tina")
    state = signed_in_state(ApiTokensState, signed_in_cookie(user), "/settings")
    run(ApiTokensState.load, state)
    assert state.tokens == [] and not state.token_shown

    result = run(ApiTokensState.create_token, state, {"name": "   "})
    assert "name" in state.error and state.tokens == []  # nothing written
    assert set_values(result).get(SECRET_INPUT_ID) is None

    # Signed in a moment ago: no password needed.
    result = run(ApiTokensState.create_token, state, {"name": "backup script"})
    secret = set_values(result)[SECRET_INPUT_ID]
    assert secret.startswith("ps_") and state.error == "" and state.token_shown
    assert set_values(result)[NAME_INPUT_ID] == ""  # the form is emptied
    no_secret_in_state(state, secret)  # shown through the page's input only
    assert [t.name for t in state.tokens] == ["backup script"]
    assert (state.tokens[0].last_used, state.tokens[0].access) == ("", "Read and write")
    assert state.tokens[0].expires == ""
    with session_scope() as s:
        owner = api_tokens.user_for_api_token(s, secret)
        assert owner is not None and owner.id == user.id

    # "Done" (and leaving the section, on_unmount) empties the page's input.
    assert set_values(run(ApiTokensState.dismiss_token, state)) == {SECRET_INPUT_ID: ""}
    assert not state.token_shown
    assert set_values(run(ApiTokensState.load, state)) == {SECRET_INPUT_ID: ""}
    assert state.tokens[0].last_used != ""
    no_secret_in_state(state, secret)

    run(ApiTokensState.revoke_token, state, state.tokens[0].id)
    assert state.tokens == []
    with session_scope() as s:
        assert api_tokens.user_for_api_token(s, secret) is None


def test_an_old_sign_in_needs_the_password(app_db: Path) -> None:  # noqa: F811
    user = new_user("tom", password="correct horse")
    state = signed_in_state(ApiTokensState, signed_in_cookie(user), "/settings")
    make_stale(user.id or 0)

    result = run(ApiTokensState.create_token, state, {"name": "stolen?"})
    assert state.password_error == api_tokens.PROOF_NEEDED and state.tokens == []
    assert set_values(result) == {PASSWORD_INPUT_ID: ""}
    run(ApiTokensState.create_token, state, {"name": "stolen?", "password": "wrong one"})
    assert state.password_error == api_tokens.WRONG_PASSWORD and state.tokens == []
    with session_scope() as s:
        assert api_tokens.list_tokens(s, user.id or 0) == []

    form = {"name": "ci", "password": "correct horse", "scope": "read", "expires": "30"}
    result = run(ApiTokensState.create_token, state, form)
    assert state.password_error == "" and set_values(result)[SECRET_INPUT_ID].startswith("ps_")
    assert set_values(result)[PASSWORD_INPUT_ID] == ""  # the password leaves the page too
    row = state.tokens[0]
    assert (row.name, row.access) == ("ci", "Read only") and row.expires != ""

    run(
        ApiTokensState.create_token,
        state,
        {"name": "x", "password": "correct horse", "scope": "admin"},
    )
    assert "read" in state.error and len(state.tokens) == 1  # refused, nothing written
    run(
        ApiTokensState.create_token,
        state,
        {"name": "x", "password": "correct horse", "expires": "5"},
    )
    assert "expires" in state.error and len(state.tokens) == 1


def test_a_revoked_session_creates_no_token(app_db: Path) -> None:  # noqa: F811
    user = new_user("uma")
    state = signed_in_state(ApiTokensState, signed_in_cookie(user), "/settings")
    with session_scope() as s:
        made = api_tokens.create_token(s, user.id or 0, "old")
        for row in s.query(UserSession).all():
            row.revoked_at = row.created_at
    result = run(ApiTokensState.create_token, state, {"name": "new"})
    assert SECRET_INPUT_ID not in set_values(result)
    run(ApiTokensState.revoke_token, state, made.info.id)
    with session_scope() as s:
        assert [t.name for t in api_tokens.list_tokens(s, user.id or 0)] == ["old"]
    assert not state.token_shown


def test_a_job_created_through_the_api_shows_in_the_open_page(live_db: Path) -> None:  # noqa: F811
    """The create page's jobs panel picks up a job it did not submit, and follows it live."""
    user = new_user("vera")
    assert user.id is not None
    root, tab = tab_for(user.id, "tab-create")
    app = FakeApp({"tab-create": root})
    with session_scope() as s:
        secret = api_tokens.create_token(s, user.id, "cli").secret

    async def scenario() -> str:
        task = asyncio.create_task(live.job_event_listener(app))  # type: ignore[arg-type]
        with TestClient(create_api()) as client:  # the app's own settings: jobs run in process
            r = await asyncio.to_thread(
                client.post,
                "/api/v1/generations",
                headers={"Authorization": f"Bearer {secret}"},
                json={"model": "local-sketch", "prompt": "a kite", "size": "256x256"},
            )
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 20
        while not (tab.jobs and tab.jobs[0].status == "succeeded"):
            assert time.monotonic() < deadline, tab.jobs
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return str(r.json()["id"])

    job_id = ""

    async def go() -> None:
        nonlocal job_id
        job_id = await scenario()

    run_async(go())
    assert tab.jobs[0].job_id == job_id and len(tab.jobs[0].thumbnails) == 1
