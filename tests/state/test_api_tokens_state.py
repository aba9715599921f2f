"""Settings → API tokens: create (shown once), list, revoke; a revoked session mints nothing.
And a job created through the REST API shows in the user's open page, live."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from fastapi.testclient import TestClient

from pixel_studio.api import create_api
from pixel_studio.db import session_scope
from pixel_studio.models import UserSession
from pixel_studio.services import api_tokens
from pixel_studio.state import live
from pixel_studio.state.api_tokens import ApiTokensState
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


def test_create_list_and_revoke_a_token(app_db: Path) -> None:  # noqa: F811
    user = new_user("tina")
    state = signed_in_state(ApiTokensState, signed_in_cookie(user), "/settings")
    run(ApiTokensState.load, state)
    assert state.tokens == [] and state.new_token == ""

    run(ApiTokensState.set_new_name, state, "   ")
    run(ApiTokensState.create_token, state)
    assert "name" in state.error and state.tokens == []  # nothing written

    run(ApiTokensState.set_new_name, state, "backup script")
    run(ApiTokensState.create_token, state)
    secret = state.new_token
    assert secret.startswith("ps_") and state.error == "" and state.new_name == ""
    assert [t.name for t in state.tokens] == ["backup script"]
    assert state.tokens[0].last_used == ""
    with session_scope() as s:
        owner = api_tokens.user_for_api_token(s, secret)
        assert owner is not None and owner.id == user.id
    run(ApiTokensState.load, state)  # leaving and coming back: the token is not shown again
    assert state.new_token == "" and state.tokens[0].last_used != ""

    run(ApiTokensState.revoke_token, state, state.tokens[0].id)
    assert state.tokens == []
    with session_scope() as s:
        assert api_tokens.user_for_api_token(s, secret) is None


def test_a_revoked_session_creates_no_token(app_db: Path) -> None:  # noqa: F811
    user = new_user("uma")
    state = signed_in_state(ApiTokensState, signed_in_cookie(user), "/settings")
    with session_scope() as s:
        made = api_tokens.create_token(s, user.id or 0, "old")
        for row in s.query(UserSession).all():
            row.revoked_at = row.created_at
    run(ApiTokensState.set_new_name, state, "new")
    run(ApiTokensState.create_token, state)
    run(ApiTokensState.revoke_token, state, made.info.id)
    with session_scope() as s:
        assert [t.name for t in api_tokens.list_tokens(s, user.id or 0)] == ["old"]
    assert state.new_token == ""


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
