"""The explore page's search under the read tier: past it the page says when to try again and
shows no results; browsing without a search, other visitors and signed-in users go on, and the
window recovers. Runs the page's on_load chain as the app does (shell, then explore)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pixel_studio.settings import get_settings
from pixel_studio.state.auth import AuthState
from pixel_studio.state.explore import ExploreState
from tests.state.test_account_state import (
    app_db,
    make_state,
    new_user,
    run,
    shell_of,
    signed_in_cookie,
)

__all__ = ["app_db"]  # a fixture, used by name below
WINDOW = 2  # seconds


@pytest.fixture
def tiny_read_tier(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RATE_LIMIT_READ", f"2 per {WINDOW} seconds")
    get_settings.cache_clear()
    yield app_db
    get_settings.cache_clear()


def explore(path: str, ip: str, cookie: str = "") -> Any:
    state = make_state(ExploreState, cookie=cookie, path=path, ip=ip)
    run(AuthState.load_user, shell_of(state))
    run(ExploreState.load, state)
    return state


def test_a_burst_of_searches_says_when_to_try_again(tiny_read_tier: Path) -> None:
    for _ in range(2):
        found = explore("/explore?q=fox", "10.0.0.1")
        assert found.error == "" and found.loaded
    limited = explore("/explore?q=fox", "10.0.0.1")
    assert limited.error.startswith("Too many requests. Try again in about ")
    assert limited.error.endswith("seconds.") or limited.error.endswith("1 second.")
    assert limited.cards == [] and limited.loaded and not limited.has_more
    # Browsing without a search is not counted, nor slowed down.
    for _ in range(3):
        assert explore("/explore?sort=liked", "10.0.0.1").error == ""
    assert explore("/explore?q=fox", "10.0.0.2").error == ""  # another visitor goes on
    # A signed-in user counts as themselves, not as their address.
    cookie = signed_in_cookie(new_user("sam"))
    assert explore("/explore?q=snow", "10.0.0.1", cookie).error == ""
    assert explore("/explore?q=snow", "10.0.0.9", cookie).error == ""
    assert explore("/explore?q=snow", "10.0.0.3", cookie).error.startswith("Too many requests.")
    time.sleep(WINDOW + 0.05)
    assert explore("/explore?q=fox", "10.0.0.1").error == ""
