"""The create form under the generation tier: past it a form message says when to try again,
nothing is charged or queued, other users go on, refused input does not count."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from pixel_studio.db import get_engine
from pixel_studio.models import CreditTransaction, GenerationJob
from pixel_studio.settings import get_settings
from pixel_studio.state.create import CreateState
from tests.state.test_account_state import new_user, run, signed_in_cookie
from tests.state.test_create_state import PROMPT, app_db, signed_in, studio_db

__all__ = ["app_db", "studio_db"]  # fixtures, used by name below


@pytest.fixture
def tiny_tier(studio_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RATE_LIMIT_GENERATION", "2 per 1 second")
    get_settings.cache_clear()
    yield studio_db
    get_settings.cache_clear()


def _counts() -> tuple[int, int]:
    with Session(get_engine()) as s:
        jobs = s.exec(select(func.count()).select_from(GenerationJob)).one()
        ledger = s.exec(select(func.count()).select_from(CreditTransaction)).one()
        return jobs, ledger


def _form(name: str) -> CreateState:
    state = signed_in(CreateState, signed_in_cookie(new_user(name)), "/create")
    run(CreateState.load, state)
    run(CreateState.set_prompt, state, PROMPT)
    return state


def test_a_burst_of_generations_gets_a_message_and_no_charge(tiny_tier: Path) -> None:
    state = _form("gina")
    run(CreateState.set_prompt, state, "")
    run(CreateState.generate, state)  # refused input: does not use up the allowance
    assert state.errors["prompt"] == "Write a prompt."
    run(CreateState.set_prompt, state, PROMPT)
    for _ in range(2):
        assert "Started" in str(run(CreateState.generate, state))
    before = _counts()
    toast = run(CreateState.generate, state)
    assert state.form_error == "You are creating images too fast. Try again in about 1 second."
    assert "too fast" in str(toast) and state.submitting is False
    assert _counts() == before  # no job, no ledger row
    other = _form("hugo")  # another user is not slowed down
    assert "Started" in str(run(CreateState.generate, other))
    time.sleep(1.05)
    assert "Started" in str(run(CreateState.generate, state))
    assert state.form_error == ""
