"""Shared by the social UI's state tests (tests/state/test_social_state.py,
test_collections_state.py): the database fixture, and helpers that open a tab on an image
page and step through generator handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from reflex.state import BaseState

from pixel_studio import events
from pixel_studio.state.auth import AuthState
from pixel_studio.state.comments import CommentsState
from pixel_studio.state.image_page import ImagePageState
from pixel_studio.state.notifications import BellState
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import (  # noqa: F401  (app_db is a fixture)
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)


@pytest.fixture
def social_db(app_db: Path) -> Iterator[Path]:  # noqa: F811
    get_tabs.cache_clear()
    events.drain_local()
    yield app_db
    events.drain_local()
    get_tabs.cache_clear()


def sub(state: BaseState, cls: type[Any]) -> Any:
    root = state
    while root.parent_state is not None:
        root = root.parent_state
    found = root.get_substate(cls.get_full_name().split(".")[1:])
    assert isinstance(found, cls)
    return found


def open_image(image_id: int, cookie: str = "", token: str = "") -> ImagePageState:
    """A tab on /image/<id> after its on_load chain: user, image (+ like button), comments,
    bell."""
    page = make_state(ImagePageState, cookie=cookie, path=f"/image/{image_id}", token=token)
    run(AuthState.load_user, sub(page, AuthState))
    follow = run(ImagePageState.load, page)
    if follow is not None:
        run(CommentsState.load, sub(page, CommentsState))
    run(BellState.load, sub(page, BellState))
    return page


def step(handler: Any, state: BaseState, *args: Any) -> list[Any]:
    """Run a generator handler to the end; each item is (what it yielded, a snapshot taken
    right then of the state's public fields)."""

    async def go() -> list[Any]:
        out = []
        async for item in handler.fn(state, *args):
            out.append((item, {name: getattr(state, name) for name in type(state).base_vars}))
        return out

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, go()).result()


def texts(steps: list[Any]) -> str:
    return " ".join(str(item) for item, _ in steps)
