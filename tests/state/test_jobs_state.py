"""The jobs panel's state and the live listener, without a browser.

Views and their merge rule are plain data; JobsState runs on a state tree built like the
socket builds it; the listener runs against a small stand-in for the Reflex app (its
`modify_state` hands out that same tree), with the real in-process event queue and tab
registry, and jobs run by the real worker function with the local sketch model.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from reflex.state import BaseState, StateUpdate
from sqlmodel import Session

from pixel_studio import events, job_queue
from pixel_studio.db import get_engine, session_scope
from pixel_studio.events import JobEvent
from pixel_studio.models import GenerationJob, JobStatus
from pixel_studio.services.accounts import auth as auth_service
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import get_settings
from pixel_studio.state import live
from pixel_studio.state.auth import AuthState
from pixel_studio.state.job_views import JobView, Thumb, merge, recent_jobs
from pixel_studio.state.jobs import MAX_SHOWN, JobsState, place
from pixel_studio.storage import get_storage
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import app_db, make_state, new_user, run  # noqa: F401

PROMPT = "a red fox in a snowy forest"


def run_async(coro: Coroutine[Any, Any, None]) -> None:
    # In its own thread: after the browser tests, Playwright's sync API owns this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


def view(status: str = "running", done: int = 0, total: int = 2, **kw: Any) -> JobView:
    return JobView(
        job_id=kw.pop("job_id", "j1"),
        prompt=PROMPT,
        model_name="Local sketch",
        status=status,
        done=done,
        total=total,
        **kw,
    )


def thumb(image_id: int, url: str | None = None) -> Thumb:
    return Thumb(image_id, url or f"/media/{image_id}.webp", PROMPT)


# ------------------------------------------------------------------ views and merging


def test_view_derives_what_the_panel_shows() -> None:
    assert (view("queued").label, view("queued").percent, view("queued").active) == (
        "Queued",
        0,
        True,
    )
    running = view("running", 1, thumbnails=[thumb(1)])
    assert (running.label, running.percent, running.color) == ("Running 1/2", 50, "violet")
    assert running.pending == [0]  # one placeholder tile for the image still to come
    done = view("succeeded", 2, thumbnails=[thumb(1), thumb(2)])
    assert (done.label, done.percent, done.active, done.pending) == ("Done", 100, False, [])
    assert view("failed", 1).pending == []  # a failed job promises no more images


def test_merge_never_moves_backwards_and_keeps_every_thumbnail() -> None:
    finished = view("succeeded", 2, thumbnails=[thumb(1), thumb(2)])
    late = view("running", 1, thumbnails=[thumb(1, "/media/other-url")])
    merged = merge(finished, late)  # "running 1/2" arriving after "done" changes nothing
    assert (merged.status, merged.done) == ("succeeded", 2)
    assert [t.image_id for t in merged.thumbnails] == [1, 2]
    assert merged.thumbnails[0].url == "/media/1.webp"  # first URL kept: no refetch

    ahead = merge(view("queued"), view("running", 1, thumbnails=[thumb(1)]))
    assert (ahead.status, ahead.done, len(ahead.thumbnails)) == ("running", 1, 1)
    cancelled = merge(view("running", 1, thumbnails=[thumb(1)]), view("cancelled", 1))
    assert cancelled.status == "cancelled" and len(cancelled.thumbnails) == 1


def test_place_puts_new_jobs_first_and_drops_only_old_finished_ones() -> None:
    jobs = [view("succeeded", 2, job_id=f"old{i}") for i in range(MAX_SHOWN - 1)]
    jobs.append(view("running", 0, job_id="busy"))  # the oldest, but still running
    out = place(jobs, view("queued", job_id="new"))
    assert out[0].job_id == "new" and len(out) == MAX_SHOWN
    assert "busy" in {j.job_id for j in out} and "old10" not in {j.job_id for j in out}
    again = place(out, view("running", 1, job_id="old3"))
    assert [j.job_id for j in again] == [j.job_id for j in out]  # updated in place


# ------------------------------------------------------------------ JobsState


def jobs_state(user_id: int | None) -> JobsState:
    state = make_state(JobsState, path="/create")
    state._user_id = user_id
    return state


def event(status: str, done: int, **kw: Any) -> JobEvent:
    return JobEvent(
        job_id="j1", user_id=kw.pop("user_id", 7), status=status, done=done, total=2, **kw
    )


def test_apply_event_toasts_once_when_the_job_ends() -> None:
    state = jobs_state(7)
    assert state._apply_event(event("queued", 0), view("queued")) is None
    assert (
        state._apply_event(event("running", 1), view("running", 1, thumbnails=[thumb(1)])) is None
    )
    assert state.jobs[0].thumbnails == [thumb(1)]
    done = view("succeeded", 2, thumbnails=[thumb(1), thumb(2)])
    assert state._apply_event(event("succeeded", 2), done) == "Your 2 images are ready."
    assert state._apply_event(event("succeeded", 2), done) is None  # a second copy: silent
    assert state._apply_event(event("running", 1), view("running", 1)) is None
    assert state.jobs[0].status == "succeeded"


def test_apply_event_ignores_other_users_and_unknown_jobs_without_a_view() -> None:
    state = jobs_state(7)
    assert state._apply_event(event("queued", 0, user_id=8), view("queued")) is None
    assert state.jobs == []
    assert state._apply_event(event("running", 1), None) is None  # nothing to show it with
    assert state.jobs == []
    state._show_job(view("running", 0))
    message = "Provider down. 2 credits refunded."
    assert state._apply_event(event("failed", 0, message=message), None) == (
        f"The job failed. {message}"
    )
    assert (state.jobs[0].status, state.jobs[0].message) == ("failed", message)
    assert jobs_state(None)._apply_event(event("queued", 0), view("queued")) is None


# ------------------------------------------------------------------ with the database


@pytest.fixture
def live_db(app_db: Path) -> Iterator[Path]:  # noqa: F811 - the imported fixture
    get_tabs.cache_clear()
    events.drain_local()
    yield app_db
    job_queue.shutdown(wait=True)
    events.drain_local()
    get_tabs.cache_clear()


def start_job(user_id: int, count: int = 2, *, private: bool = False) -> str:
    """Pay for a job and run it to the end here (what a worker does), recording its events."""
    data = {
        "model": "local-sketch",
        "prompt": PROMPT,
        "size": "256x256",
        "count": count,
        "private": private,
    }
    with Session(get_engine(), expire_on_commit=False) as session:
        job = generation.create_job(session, user_id, data, enqueue=lambda _id: None)
    run_job(job.id)
    return job.id


def test_recent_jobs_reads_views_with_thumbnail_urls(live_db: Path) -> None:
    user = new_user("fran")
    assert user.id is not None
    public = start_job(user.id, 2)
    private = start_job(user.id, 1, private=True)
    with session_scope() as session:
        views = recent_jobs(session, get_storage(), user.id)
    assert [v.job_id for v in views] == [private, public]  # newest first
    assert [(v.status, v.done, v.label) for v in views] == [
        ("succeeded", 1, "Done"),
        ("succeeded", 2, "Done"),
    ]
    assert all(t.url.startswith("/media/") and t.alt == PROMPT for t in views[1].thumbnails)
    assert "sig=" in views[0].thumbnails[0].url  # private: a signed, short-lived URL


class FakeApp:
    """What the listener uses of `rx.App`: `modify_state` and `event_namespace.emit_update`."""

    def __init__(self, roots: dict[str, BaseState]) -> None:
        self.roots = roots
        self.sent: list[tuple[str, StateUpdate]] = []
        self.event_namespace = self

    @contextlib.asynccontextmanager
    async def modify_state(self, token: Any) -> AsyncIterator[BaseState]:
        yield self.roots[token.ident]

    async def emit_update(self, update: StateUpdate, token: str) -> None:
        self.sent.append((token, update))


def session_cookie(user_id: int) -> str:
    """The cookie header of a browser signed in as this user (a real, live session)."""
    with session_scope() as session:
        return f"ps_session={auth_service.create_session(session, user_id, get_settings())}"


def tab_for(
    user_id: int | None, token: str, cookie: str | None = None, path: str = "/create"
) -> tuple[BaseState, JobsState]:
    """A tab as `JobsState.load` leaves it: signed in (with its own session unless `cookie`
    says otherwise) and registered for the user's job events."""
    if cookie is None:
        cookie = session_cookie(user_id) if user_id is not None else ""
    jobs = make_state(JobsState, path=path, cookie=cookie)
    jobs._user_id = user_id
    auth = jobs.parent_state.get_substate(AuthState.get_full_name().split(".")[1:])  # type: ignore[union-attr]
    assert isinstance(auth, AuthState)
    auth._user_id, auth.credits = user_id, 5
    root = jobs.parent_state
    assert root is not None
    if user_id is not None:
        get_tabs().register(user_id, token)
    return root, jobs


def test_listener_updates_every_tab_of_the_user_and_forgets_stale_ones(live_db: Path) -> None:
    user = new_user("gina")
    assert user.id is not None
    root_a, tab_a = tab_for(user.id, "tab-a")
    root_b, tab_b = tab_for(user.id, "tab-b")
    root_c, _ = tab_for(None, "tab-c")  # logged out since it registered
    get_tabs().register(user.id, "tab-c")
    app = FakeApp({"tab-a": root_a, "tab-b": root_b, "tab-c": root_c})

    async def scenario() -> None:
        task = asyncio.create_task(live.job_event_listener(app))  # type: ignore[arg-type]
        job_id = await asyncio.to_thread(start_job, user.id or 0, 2)  # events: queued … done
        deadline = time.monotonic() + 10
        while not (tab_b.jobs and tab_b.jobs[0].status == "succeeded"):
            assert time.monotonic() < deadline, tab_b.jobs
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert task.cancelled() or task.done()
        assert tab_a.jobs[0].job_id == job_id

    run_async(scenario())
    for tab in (tab_a, tab_b):
        shown = tab.jobs[0]
        assert (shown.status, shown.done, len(shown.thumbnails)) == ("succeeded", 2, 2)
    auth_a = root_a.get_substate(AuthState.get_full_name().split(".")[1:])
    assert isinstance(auth_a, AuthState) and auth_a.credits == 3  # 5 - 2, from the database
    toasts = [(t, u) for t, u in app.sent if u.events]
    assert sorted(t for t, _ in toasts) == ["tab-a", "tab-b"]  # one "ready" toast per tab
    assert [t.token for t in get_tabs().tabs_for(user.id)] == ["tab-a", "tab-b"]  # tab-c forgotten


def test_listener_survives_a_bad_event(live_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    async def flaky(app: Any, ev: JobEvent) -> None:
        calls.append(ev.job_id)
        if ev.job_id == "bad":
            raise RuntimeError("boom")

    monkeypatch.setattr(live, "deliver", flaky)

    async def scenario() -> None:
        task = asyncio.create_task(live.job_event_listener(FakeApp({})))  # type: ignore[arg-type]
        for job_id in ("bad", "good"):
            events.publish(JobEvent(job_id=job_id, user_id=1, status="queued", done=0, total=1))
        deadline = time.monotonic() + 5
        while calls != ["bad", "good"]:
            assert time.monotonic() < deadline, calls
            await asyncio.sleep(0.02)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    run_async(scenario())


def test_cancel_job_refunds_and_shows_the_end_in_this_tab(live_db: Path) -> None:
    user = new_user("hana")
    assert user.id is not None
    with Session(get_engine(), expire_on_commit=False) as session:
        job = generation.create_job(
            session,
            user.id,
            {"model": "local-sketch", "prompt": PROMPT, "count": 3},
            enqueue=lambda _id: None,
        )
    _, state = tab_for(user.id, "tab-cancel")
    run(JobsState.cancel_job, state, job.id)
    shown = state.jobs[0]
    assert (shown.status, shown.message) == ("cancelled", "Cancelled. 3 credits refunded.")
    auth = state.parent_state.get_substate(AuthState.get_full_name().split(".")[1:])  # type: ignore[union-attr]
    assert isinstance(auth, AuthState) and auth.credits == 5
    with Session(get_engine()) as session:
        row = session.get(GenerationJob, job.id)
        assert row is not None and row.status == JobStatus.cancelled
