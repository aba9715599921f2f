"""Sign-out and revocation reach every open tab (issue 6, item 5).

A tab's state outlives the session it was loaded with: a log-out in another tab, "sign out
everywhere" or a revoked session must stop every handler and every live job event at the
tab's next event, and leave none of the user's data in it. Tabs are state trees built the
way the socket builds them, each with its own client token and the browser's cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reflex.state import BaseState
from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.db import get_engine, session_scope
from pixel_studio.events import JobEvent
from pixel_studio.models import GenerationJob, ImageSet, JobStatus, User, UserSession
from pixel_studio.services.accounts import auth
from pixel_studio.services.studio import generation
from pixel_studio.state import auth as auth_state
from pixel_studio.state import live
from pixel_studio.state.auth import SESSION_ENDED, AuthState, session_token
from pixel_studio.state.create import CreateState
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.sessions_list import SessionsState
from pixel_studio.state.set_detail import SetDetailState
from pixel_studio.state.sets import SetsState
from pixel_studio.state.settings_page import SettingsState
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    script_of,
    signed_in_cookie,
)
from tests.state.test_create_state import sibling
from tests.state.test_jobs_state import FakeApp, run_async

PROMPT = "a quiet harbour at dawn"


@pytest.fixture
def tabs_db(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    get_tabs.cache_clear()
    # Jobs are queued but never run: each test decides what happens to them.
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    events.drain_local()
    yield app_db
    events.drain_local()
    get_tabs.cache_clear()


def open_tab(cookie: str, token: str, path: str = "/create") -> BaseState:
    """A tab that loaded an account page: shell, jobs panel (registered for events), page."""
    jobs = make_state(JobsState, cookie=cookie, path=path, token=token)
    root = jobs.parent_state
    assert root is not None
    assert run(AuthState.require_user, sibling(jobs, AuthState)) is None
    run(JobsState.load, jobs)
    return root


def state(root: BaseState, cls: type[Any]) -> Any:
    found = root.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(found, cls)
    return found


def queue_job(user_id: int) -> str:
    with Session(get_engine(), expire_on_commit=False) as session:
        job = generation.create_job(
            session, user_id, {"model": "local-sketch", "prompt": PROMPT, "count": 2}
        )
    return job.id


def credits_of(user_id: int) -> int:
    with Session(get_engine()) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.credits


def assert_signed_out(root: BaseState, user_id: int, token: str) -> None:
    """Nothing of the user is left in the tab, and it receives none of their job events."""
    shell = state(root, AuthState)
    assert (shell.signed_in, shell.username, shell.credits, shell._user_id) == (False, "", 0, None)
    jobs = state(root, JobsState)
    assert jobs.jobs == [] and jobs._user_id is None
    assert state(root, CreateState).prompt == ""
    assert state(root, SetsState).cards == []
    assert token not in [t.token for t in get_tabs().tabs_for(user_id)]


def assert_session_ended(result: Any, path: str) -> None:
    text = str(result)
    assert SESSION_ENDED in text and "/login?next=" + path.replace("/", "%2F") in text


def test_log_out_in_one_tab_stops_cancel_in_another(tabs_db: Path) -> None:
    user = new_user("alice")
    assert user.id is not None
    cookie = signed_in_cookie(user)  # one browser, two tabs: one session cookie
    first, second = open_tab(cookie, "tab-1"), open_tab(cookie, "tab-2")
    job_id = queue_job(user.id)
    run(JobsState.load, state(second, JobsState))
    run(CreateState.set_prompt, state(second, CreateState), "my private draft")
    assert state(second, JobsState).jobs[0].job_id == job_id

    logout = run(AuthState.log_out, state(first, AuthState))
    assert script_of(logout) == 'window.location.assign("/auth/signed-out")'
    assert_signed_out(first, user.id, "tab-1")  # log-out clears this tab and unregisters it

    # The other tab still shows the job; its cancel must not trust the id it loaded with.
    result = run(JobsState.cancel_job, state(second, JobsState), job_id)
    assert_session_ended(result, "/create")
    assert_signed_out(second, user.id, "tab-2")
    with Session(get_engine()) as session:
        job = session.get(GenerationJob, job_id)
        assert job is not None and job.status == JobStatus.queued  # nothing cancelled
    assert credits_of(user.id) == 3  # and nothing refunded


def test_a_revoked_session_cannot_generate_delete_or_change_settings(tabs_db: Path) -> None:
    user = new_user("bea")
    assert user.id is not None
    cookie = signed_in_cookie(user)
    create = open_tab(cookie, "tab-create")
    run(CreateState.load, state(create, CreateState))
    run(CreateState.set_prompt, state(create, CreateState), PROMPT)
    job_id = queue_job(user.id)
    with Session(get_engine()) as session:
        set_id = session.exec(select(ImageSet.id).where(ImageSet.job_id == job_id)).one()
    detail = open_tab(cookie, "tab-set", f"/sets/{set_id}")
    run(SetDetailState.load, state(detail, SetDetailState))
    assert state(detail, SetDetailState).is_owner
    settings = open_tab(cookie, "tab-settings", "/settings")
    run(SettingsState.load, state(settings, SettingsState))

    with session_scope() as session:
        assert auth.revoke(session, session_token(cookie))  # e.g. logged out in another tab

    assert_session_ended(run(CreateState.generate, state(create, CreateState)), "/create")
    assert_signed_out(create, user.id, "tab-create")
    assert_session_ended(
        run(SetDetailState.delete_set, state(detail, SetDetailState)), f"/sets/{set_id}"
    )
    assert state(detail, SetDetailState).pictures == []
    assert_session_ended(
        run(SettingsState.toggle_privacy, state(settings, SettingsState), True), "/settings"
    )
    result = run(SettingsState.save_username, state(settings, SettingsState), {"username": "bea2"})
    assert_session_ended(result, "/settings")
    with Session(get_engine()) as session:
        assert len(session.exec(select(GenerationJob)).all()) == 1  # no second job
        assert session.get(ImageSet, set_id) is not None  # not deleted
        row = session.get(User, user.id)
        assert row is not None and (row.username, row.default_private) == ("bea", False)
    assert credits_of(user.id) == 3


def test_sign_out_everywhere_reaches_every_browser(tabs_db: Path) -> None:
    user = new_user("cleo")
    assert user.id is not None
    laptop, phone = signed_in_cookie(user), signed_in_cookie(user)
    settings = open_tab(laptop, "laptop-settings", "/settings")
    history = open_tab(phone, "phone-sets", "/sets")
    queue_job(user.id)
    run(SetsState.load, state(history, SetsState))
    assert len(state(history, SetsState).cards) == 1

    result = run(SessionsState.sign_out_everywhere, state(settings, SessionsState))
    assert script_of(result) == 'window.location.assign("/auth/signed-out")'
    assert_signed_out(settings, user.id, "laptop-settings")
    with Session(get_engine()) as session:
        rows = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
        assert rows and all(row.revoked_at is not None for row in rows)

    # The phone's next event (here: searching its history) finds its session gone.
    run(SetsState.set_query, state(history, SetsState), "harbour")
    assert_session_ended(run(SetsState.search, state(history, SetsState)), "/sets")
    assert_signed_out(history, user.id, "phone-sets")


def test_a_page_load_as_someone_else_clears_the_previous_user(tabs_db: Path) -> None:
    alice, bob = new_user("dana"), new_user("eli")
    assert alice.id is not None
    root = open_tab(signed_in_cookie(alice), "tab")
    run(CreateState.set_prompt, state(root, CreateState), "dana's draft")
    bobs = signed_in_cookie(bob)
    root.router = make_state(AuthState, cookie=bobs, path="/create", token="tab").router
    run(AuthState.require_user, state(root, AuthState))
    assert state(root, AuthState).username == "eli"
    assert state(root, CreateState).prompt == ""
    assert "tab" not in [t.token for t in get_tabs().tabs_for(alice.id)]


def test_job_events_stop_at_a_revoked_tab_and_sessions_are_looked_up_once(
    tabs_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user("finn")
    assert user.id is not None
    laptop, phone = signed_in_cookie(user), signed_in_cookie(user)
    tabs = {
        "laptop-1": open_tab(laptop, "laptop-1"),
        "laptop-2": open_tab(laptop, "laptop-2"),
        "phone": open_tab(phone, "phone"),
    }
    job_id = queue_job(user.id)
    with session_scope() as session:
        auth.revoke(session, session_token(phone))

    lookups: list[str | None] = []
    real = auth_state.live_user_id

    def counted(token: str | None) -> int | None:
        lookups.append(token)
        return real(token)

    monkeypatch.setattr(auth_state, "live_user_id", counted)
    app = FakeApp(tabs)
    event = JobEvent(job_id=job_id, user_id=user.id, status="queued", done=0, total=2)
    run_async(live.deliver(app, event))  # type: ignore[arg-type]

    assert len(lookups) == 2  # once per session, not once per tab
    for token in ("laptop-1", "laptop-2"):
        assert state(tabs[token], JobsState).jobs[0].job_id == job_id
    assert_signed_out(tabs["phone"], user.id, "phone")
    assert sorted([t.token for t in get_tabs().tabs_for(user.id)]) == ["laptop-1", "laptop-2"]
    sent_to_phone = [str(update.events) for token, update in app.sent if token == "phone"]
    assert len(sent_to_phone) == 1 and SESSION_ENDED in sent_to_phone[0]

    lookups.clear()
    run_async(live.deliver(app, event))  # type: ignore[arg-type]
    assert len(lookups) == 1  # the phone is no longer registered: nothing is sent there
    assert [t for t, _ in app.sent].count("phone") == 1
