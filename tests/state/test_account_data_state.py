"""Settings → Your data / Delete account: the export runs as a job (in-process here) with
live progress in the open tab and a signed link when ready; deleting needs the typed username
and the password, signs the tab out and leaves nothing; a revoked session does neither."""

from __future__ import annotations

import time
from pathlib import Path

from sqlmodel import select

from pixel_studio import events, job_queue
from pixel_studio.db import session_scope
from pixel_studio.events import AccountJobEvent
from pixel_studio.models import AccountJob, JobStatus, User, UserSession
from pixel_studio.state import live
from pixel_studio.state.account_data import AccountDataState
from pixel_studio.state.auth import SIGNED_OUT_URL
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    new_user,
    run,
    script_of,
    signed_in_cookie,
    signed_in_state,
)
from tests.state.test_jobs_state import (  # noqa: F401 - live_db is a fixture
    FakeApp,
    live_db,
    run_async,
    tab_for,
)


def _wait_for(user_id: int, status: str) -> AccountJob:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with session_scope() as s:
            job = s.exec(select(AccountJob).where(AccountJob.user_id == user_id)).first()
            if job is not None and job.status == status:
                return job
        time.sleep(0.1)
    raise AssertionError(f"the account job never reached {status}")


def test_export_from_the_settings_page(live_db: Path) -> None:  # noqa: F811
    user = new_user("xena")
    uid = user.id or 0
    state = signed_in_state(AccountDataState, signed_in_cookie(user), "/settings")
    run(AccountDataState.load, state)
    assert state.export_status == "" and state.export_link == "" and state.has_password
    run(AccountDataState.start_export, state)
    assert state.export_status == JobStatus.queued and state.export_busy
    job_queue.shutdown(wait=True)  # the in-process worker ran the export
    job = _wait_for(uid, JobStatus.succeeded)
    published = [e for e in events.drain_local() if isinstance(e, AccountJobEvent)]
    assert published and published[-1].status == JobStatus.succeeded
    assert published[-1].job_id == job.id

    # The event reaches the open settings tab; finishing asks the page for its link.
    root, _jobs = tab_for(uid, "tab-x", path="/settings")
    tab = root.get_substate(AccountDataState.get_full_name().split(".")[1:])
    assert isinstance(tab, AccountDataState)
    tab._user_id = uid
    app = FakeApp({"tab-x": root})
    running = AccountJobEvent(
        user_id=uid, job_id=job.id, kind="export", status="running", done=1, total=2
    )
    run_async(live.deliver_account_job(app, running))  # type: ignore[arg-type]
    assert (tab.export_status, tab.export_percent) == ("running", 50)
    run_async(live.deliver_account_job(app, published[-1]))  # type: ignore[arg-type]
    assert tab.export_status == JobStatus.succeeded and app.sent  # load follows

    run(AccountDataState.load, state)
    assert state.export_link.startswith(f"/media/private/exports/u{uid}/")
    assert "sig=" in state.export_link and state.export_until.endswith("UTC")


def test_delete_account_needs_the_username_and_password(app_db: Path) -> None:  # noqa: F811
    user = new_user("yuri")
    uid = user.id or 0
    state = signed_in_state(AccountDataState, signed_in_cookie(user), "/settings")
    run(AccountDataState.load, state)
    run(AccountDataState.delete_account, state, {"password": "correct horse", "confirm": "yuro"})
    assert "username" in state.confirm_error and not state.deleting
    run(AccountDataState.delete_account, state, {"password": "nope", "confirm": "yuri"})
    assert "password" in state.password_error
    with session_scope() as s:
        assert s.get(User, uid).deleted_at is None  # type: ignore[union-attr]
    spec = run(
        AccountDataState.delete_account, state, {"password": "correct horse", "confirm": "yuri"}
    )
    assert SIGNED_OUT_URL in script_of(spec)
    job_queue.shutdown(wait=True)
    _wait_for(uid, JobStatus.succeeded)
    with session_scope() as s:
        row = s.get(User, uid)
        assert row is not None and row.deleted_at is not None and row.username == f"deleted-{uid}"
        assert s.exec(select(UserSession).where(UserSession.user_id == uid)).all() == []


def test_a_revoked_session_neither_exports_nor_deletes(app_db: Path) -> None:  # noqa: F811
    user = new_user("zoe")
    uid = user.id or 0
    state = signed_in_state(AccountDataState, signed_in_cookie(user), "/settings")
    with session_scope() as s:
        for row in s.exec(select(UserSession)).all():
            row.revoked_at = row.created_at
            s.add(row)
        s.commit()
    run(AccountDataState.start_export, state)
    run(AccountDataState.delete_account, state, {"password": "correct horse", "confirm": "zoe"})
    with session_scope() as s:
        assert s.exec(select(AccountJob)).all() == []
        assert s.get(User, uid).deleted_at is None  # type: ignore[union-attr]
