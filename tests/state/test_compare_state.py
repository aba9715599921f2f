"""The compare page's state and the history search's state, without a browser, on a migrated
SQLite database. Jobs are queued for real but run here, by the worker function, and their
events go through the real live listener (`live.deliver`) to the tab's columns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from reflex.state import BaseState
from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.db import get_engine
from pixel_studio.events import JobEvent
from pixel_studio.models import CreditTransaction, GenerationJob, Image, ImageSet
from pixel_studio.providers import ModerationRefused
from pixel_studio.services.studio import compare as compare_service
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import get_settings
from pixel_studio.state import live
from pixel_studio.state.auth import AuthState
from pixel_studio.state.compare import DEFAULT_SIZE, CompareState
from pixel_studio.state.jobs import JobsState
from pixel_studio.state.sets import SetsState, sets_url
from pixel_studio.tabs import get_tabs
from tests.services.generation_helpers import ScriptedProvider, raising
from tests.state.test_account_state import (  # noqa: F401 - app_db is a fixture
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)
from tests.state.test_jobs_state import FakeApp

PROMPT = "a lighthouse on a cliff at sunset"


@pytest.fixture
def compare_db(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    # An OpenAI key makes the DALL·E models available: no call is made (the test runs jobs).
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    get_settings.cache_clear()
    get_tabs.cache_clear()
    monkeypatch.setattr(compare_service, "enqueue_job", lambda job_id, settings=None: None)
    yield app_db
    events.drain_local()
    get_tabs.cache_clear()
    get_settings.cache_clear()


def tab(cls: type[Any], cookie: str, path: str, token: str = "tab-1") -> Any:
    """A page of a signed-in user after the shell's on_load and the jobs panel's load."""
    state = make_state(cls, cookie=cookie, path=path, token=token)
    root = state.parent_state
    assert root is not None
    run(AuthState.require_user, root.get_substate([AuthState.get_name()]))
    run(JobsState.load, root.get_substate([JobsState.get_name()]))
    return state


def sibling(state: BaseState, cls: type[Any]) -> Any:
    assert state.parent_state is not None
    return state.parent_state.get_substate([cls.get_name()])


def deliver(root: BaseState, token: str, recorded: list[JobEvent]) -> None:
    app = FakeApp({token: root})

    async def go() -> None:
        for event in recorded:
            await live.deliver(app, event)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()


def test_compare_page_refuses_per_model_then_compares_and_fills_in_live(
    compare_db: Path,
) -> None:
    user = new_user("cleo")  # 5 credits
    cookie = signed_in_cookie(user)
    state = tab(CompareState, cookie, "/compare")
    run(CompareState.load, state)
    offered = [m.id for m in state.models]
    assert offered[:3] == ["local-sketch", "dall-e-2", "dall-e-3"]
    assert state.chosen == ["local-sketch", "dall-e-2"]  # two to start with
    assert [c.value for c in state.size_choices] == [
        DEFAULT_SIZE,
        "256x256",
        "512x512",
        "1024x1024",
    ]

    run(CompareState.set_prompt, state, PROMPT)
    run(CompareState.set_seed, state, "7")
    run(CompareState.generate, state)
    assert "DALL·E 2 does not take a seed" in state.errors["seed"]
    with Session(get_engine()) as session:
        assert session.exec(select(GenerationJob)).all() == []

    run(CompareState.set_seed, state, "")
    run(CompareState.set_size, state, "512x512")
    assert state.cost == 3
    result = run(CompareState.generate, state)
    with Session(get_engine()) as session:
        sets = session.exec(select(ImageSet).order_by(col(ImageSet.id))).all()
        assert [s.model for s in sets] == ["local-sketch", "dall-e-2"]
        spends = session.exec(
            select(CreditTransaction.amount).where(CreditTransaction.kind == "spend")
        ).all()
        assert sorted(spends) == [-2, -1]
    ids = f"{sets[0].id},{sets[1].id}"
    assert f"/compare?sets={ids}" in str(result[0])
    assert [(c.model_name, c.status) for c in state.columns] == [
        ("Local sketch — offline, procedural", "queued"),
        ("DALL·E 2", "queued"),
    ]
    assert len(sibling(state, JobsState).jobs) == 2
    assert sibling(state, AuthState).credits == 2

    # The comparison's own address (after the redirect): the columns and the form come back.
    page = tab(CompareState, cookie, f"/compare?sets={ids}", token="tab-2")
    run(CompareState.load, page)
    assert [c.set_id for c in page.columns] == [sets[0].id, sets[1].id]
    assert (page.prompt, page.size, page.chosen) == (
        PROMPT,
        "512x512",
        ["local-sketch", "dall-e-2"],
    )
    assert page.again_url == f"/compare?again={ids}"

    # The workers run: local-sketch draws, DALL·E 2 is refused. Their events reach the
    # columns through the listener; the failed column is refunded on its own.
    recorded: list[JobEvent] = []
    refusing = ScriptedProvider(raising(ModerationRefused()))
    for column in page.columns:
        run_job(
            column.job_id,
            publish=recorded.append,
            provider_for=lambda _m: refusing if _m == "dall-e-2" else _sketch(),
            sleep=lambda _s: None,
        )
    deliver(page.parent_state, "tab-2", recorded)
    done, failed = page.columns
    assert (done.status, done.done, len(done.thumbnails)) == ("succeeded", 1, 1)
    assert (failed.status, failed.thumbnails) == ("failed", [])
    assert failed.message.endswith("2 credits refunded.")
    assert sibling(page, AuthState).credits == 4  # 5 - 3 + 2

    # Compare again: the form only, prefilled.
    again = tab(CompareState, cookie, f"/compare?again={ids}", token="tab-3")
    run(CompareState.load, again)
    assert again.columns == [] and again.chosen == ["local-sketch", "dall-e-2"]
    assert again.prompt == PROMPT

    # Someone else's comparison shows nothing of it.
    stranger = tab(CompareState, signed_in_cookie(new_user("dax")), f"/compare?sets={ids}", "t4")
    run(CompareState.load, stranger)
    assert stranger.columns == [] and stranger.prompt == ""


def _sketch() -> Any:
    from pixel_studio.providers.local_sketch import LocalSketchProvider

    return LocalSketchProvider()


def test_compare_refuses_one_model_and_a_short_balance_at_the_form(compare_db: Path) -> None:
    cookie = signed_in_cookie(new_user("eda"))  # 5 credits
    state = tab(CompareState, cookie, "/compare")
    run(CompareState.load, state)
    run(CompareState.set_prompt, state, PROMPT)
    run(CompareState.toggle_model, state, "dall-e-2", False)
    run(CompareState.generate, state)
    assert "between 2 and 4" in state.errors["models"]
    run(CompareState.toggle_model, state, "dall-e-3", True)
    run(CompareState.toggle_model, state, "dall-e-2", True)
    assert state.chosen == ["local-sketch", "dall-e-2", "dall-e-3"]  # the catalog's order
    run(CompareState.generate, state)  # 1 + 2 + 4 = 7 > 5
    assert state.form_error == "This comparison needs 7 credits; you have 5."
    with Session(get_engine()) as session:
        assert session.exec(select(GenerationJob)).all() == []


def test_the_form_s_own_text_wins_over_a_change_still_on_its_way(compare_db: Path) -> None:
    """Typed, then sent at once: the debounced change has not reached the state yet, the
    submitted form holds the text (the browser test's seeds step raced this)."""
    cookie = signed_in_cookie(new_user("gus"))  # 5 credits
    state = tab(CompareState, cookie, "/compare")
    run(CompareState.load, state)
    run(CompareState.set_vary, state, "seed")
    run(CompareState.set_prompt, state, PROMPT)
    run(CompareState.set_values_text, state, "7, 7")
    run(CompareState.generate, state, {"prompt": PROMPT, "values": "7, 42"})
    assert not any(state.errors.values()) and state.form_error == ""
    assert state.values_text == "7, 42"
    with Session(get_engine()) as session:
        seeds = sorted(j.params.get("seed") for j in session.exec(select(GenerationJob)).all())
    assert seeds == [7, 42]


def test_sets_search_lives_in_the_url_with_field_errors(compare_db: Path) -> None:
    cookie = signed_in_cookie(new_user("fin"))
    maker = tab(CompareState, cookie, "/compare")
    run(CompareState.load, maker)
    run(CompareState.set_prompt, maker, PROMPT)
    run(CompareState.set_seed, maker, "")
    run(CompareState.toggle_model, maker, "dall-e-2", False)
    run(CompareState.toggle_model, maker, "dall-e-3", False)
    # One local set with a known seed, made through the create service path.
    from pixel_studio.db import session_scope
    from pixel_studio.services.studio import generation

    with session_scope() as session:
        job = generation.create_job(
            session,
            sibling(maker, AuthState)._user_id,
            {"model": "local-sketch", "prompt": PROMPT, "seed": 4242, "size": "256x256"},
            enqueue=lambda _j: None,
            publish=lambda _e: None,
        )
    run_job(job.id, publish=lambda _e: None, sleep=lambda _s: None)
    with Session(get_engine()) as session:
        seed = session.exec(select(Image.seed)).one()
    assert seed == 4242

    state = tab(SetsState, cookie, "/sets?seed=4242&from=2000-01-01", token="s1")
    run(SetsState.load, state)
    assert (state.seed, state.date_from, len(state.cards)) == ("4242", "2000-01-01", 1)
    none = tab(SetsState, cookie, "/sets?seed=4243", token="s2")
    run(SetsState.load, none)
    assert none.cards == [] and none.filtered
    # A bad value in the URL: said at its field, left out of the search.
    bad = tab(SetsState, cookie, "/sets?seed=abc&to=2000-01-01", token="s3")
    run(SetsState.load, bad)
    assert "whole number" in bad.errors["seed"] and bad.cards == []  # `to` still applies

    run(SetsState.set_seed, state, "x1")
    assert run(SetsState.search, state) is None and "whole number" in state.errors["seed"]
    run(SetsState.set_seed, state, "4242")
    run(SetsState.set_date_from, state, "2026-12-09")
    run(SetsState.set_date_to, state, "2026-12-01")
    assert run(SetsState.search, state) is None
    assert state.errors["to"] == "The end date is before the start date."
    run(SetsState.set_date_from, state, "")
    run(SetsState.set_query, state, "lighthouse")
    spec = run(SetsState.search, state)
    assert "/sets?q=lighthouse&seed=4242&to=2026-12-01" in str(spec)
    assert sets_url({"model": "all", "q": " "}) == "/sets"
