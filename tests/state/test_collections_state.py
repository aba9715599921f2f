"""The social UI's states, collections and notifications (the page and the live bell), on
the real services, a migrated SQLite database and local files; no browser (likes and
comments: test_social_state.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from sqlmodel import Session, select

from pixel_studio.cache import get_cache
from pixel_studio.db import get_engine, session_scope
from pixel_studio.events import JobEvent, NotificationEvent
from pixel_studio.models import Collection, CollectionImage, User
from pixel_studio.services.social import collections
from pixel_studio.state import live
from pixel_studio.state.auth import AuthState
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionPickerState, CollectionsState
from pixel_studio.state.comments import CommentsState
from pixel_studio.state.likes import LikeButtonState
from pixel_studio.state.notifications import BellState, NotificationsState
from pixel_studio.tabs import get_tabs
from tests.state.social_helpers import (  # noqa: F401  (social_db is a fixture)
    open_image,
    social_db,
    step,
    sub,
    texts,
)
from tests.state.test_account_state import (  # noqa: F401  (app_db is a fixture)
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)
from tests.state.test_image_page_state import make_set
from tests.state.test_jobs_state import FakeApp, run_async

pytestmark = pytest.mark.usefixtures("social_db")


# ---------------------------------------------------------------- collections


def test_add_to_collection_dialog_creates_ticks_and_unticks() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    page = open_image(image_id, signed_in_cookie(fan))
    picker = sub(page, CollectionPickerState)
    step(CollectionPickerState.open_for, picker, image_id)
    assert picker.open and picker.choices == []

    step(CollectionPickerState.create, picker, {"title": "  "})
    assert picker.title_error == "Give the collection a name."
    step(CollectionPickerState.create, picker, {"title": "Foxes", "private": "on"})
    (choice,) = picker.choices
    assert (choice.title, choice.private, choice.holds, picker.title_error) == (
        "Foxes",
        True,
        True,
        "",
    )

    steps = step(CollectionPickerState.toggle, picker, choice.id, False)
    assert steps[0][1]["choices"][0].holds is False and "Removed from Foxes" in texts(steps)
    with Session(get_engine()) as s:
        assert s.exec(select(CollectionImage)).all() == []
    step(CollectionPickerState.toggle, picker, choice.id, True)
    with Session(get_engine()) as s:
        assert s.exec(select(CollectionImage.image_id)).all() == [image_id]
    run(CollectionPickerState.set_open, picker, True)  # only `open_for` opens it
    run(CollectionPickerState.set_open, picker, False)
    assert not picker.open


def test_collections_pages_owner_tools_and_privacy() -> None:
    owner, other = new_user("alice"), new_user("bob")
    first, second = make_set(owner, count=2)
    mine = make_state(CollectionsState, cookie=signed_in_cookie(owner), path="/collections")
    run(AuthState.require_user, sub(mine, AuthState))
    run(CollectionsState.load, mine)
    assert mine.loaded and mine.cards == []
    assert run(CollectionsState.create, mine, {"title": ""}) is None
    assert mine.title_error == "Give the collection a name."
    result = run(CollectionsState.create, mine, {"title": "Winter", "description": "cold"})
    with Session(get_engine()) as s:
        collection = s.exec(select(Collection)).one()
    assert f"/collections/{collection.id}" in str(result)
    with session_scope() as s:
        for image_id in (first, second):
            collections.add_image(s, get_cache(), owner.id or 0, collection.id or 0, image_id)
    run(CollectionsState.load, mine)
    (card,) = mine.cards
    assert (card.title, card.count, card.private, card.href) == (
        "Winter",
        2,
        False,
        f"/collections/{collection.id}",
    )
    assert card.cover and card.cover_alt

    def detail(cookie: str) -> CollectionDetailState:
        state = make_state(
            CollectionDetailState, cookie=cookie, path=f"/collections/{collection.id}"
        )
        run(AuthState.load_user, sub(state, AuthState))
        run(CollectionDetailState.load, state)
        return state

    owner_view = detail(signed_in_cookie(owner))
    assert owner_view.found and owner_view.is_owner
    assert [c.image_id for c in owner_view.cards] == [second, first]
    run(CollectionDetailState.save, owner_view, {"title": "x" * 101, "description": ""})
    assert "100 characters" in owner_view.title_error
    run(CollectionDetailState.save, owner_view, {"title": "Snow", "description": "white"})
    assert (owner_view.title, owner_view.description) == ("Snow", "white")
    run(CollectionDetailState.remove, owner_view, first)
    assert [c.image_id for c in owner_view.cards] == [second]

    theirs = detail(signed_in_cookie(other))
    assert theirs.found and not theirs.is_owner
    assert "Only the owner" in str(run(CollectionDetailState.set_private, theirs, True))
    run(CollectionDetailState.set_private, owner_view, True)
    for cookie in ("", signed_in_cookie(other)):
        hidden = detail(cookie)
        assert hidden.loaded and not hidden.found and hidden.title == "" and hidden.cards == []
    result = run(CollectionDetailState.delete_collection, owner_view)
    assert "/collections" in str(result) and not owner_view.found
    with Session(get_engine()) as s:
        assert s.exec(select(Collection)).all() == []


# ---------------------------------------------------------------- notifications and the bell


def test_notifications_page_lists_marks_one_and_all() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    fan_page = open_image(image_id, signed_in_cookie(fan))
    step(LikeButtonState.toggle, sub(fan_page, LikeButtonState))
    step(CommentsState.submit, sub(fan_page, CommentsState), {"body": "Nice"})

    state = make_state(NotificationsState, cookie=signed_in_cookie(owner), path="/notifications")
    run(AuthState.require_user, sub(state, AuthState))
    run(NotificationsState.load, state)
    assert state.unread == 2 and sub(state, BellState).unread == 2
    comment_row, like_row = state.rows
    assert (comment_row.actor, comment_row.what) == ("bob", "commented on your image")
    assert comment_row.href.startswith(f"/image/{image_id}#comment-")
    assert (like_row.what, like_row.href, like_row.actor_href) == (
        "liked your image",
        f"/image/{image_id}",
        "/u/bob",
    )
    result = run(NotificationsState.open_item, state, like_row.id, like_row.href)
    assert f"/image/{image_id}" in str(result)
    assert state.unread == 1 and [r.read for r in state.rows] == [False, True]
    run(NotificationsState.mark_all_read, state)
    assert state.unread == 0 and all(r.read for r in state.rows)
    assert sub(state, BellState).unread == 0


def test_a_notification_event_reaches_every_tab_of_the_user_through_the_listener() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    owner_cookie = signed_in_cookie(owner)
    tabs = {
        "owner-image": open_image(image_id, owner_cookie, token="owner-image").parent_state,
        "owner-2": open_image(image_id, owner_cookie, token="owner-2").parent_state,
        "fan": open_image(image_id, signed_in_cookie(fan), token="fan").parent_state,
    }
    assert sorted([t.token for t in get_tabs().tabs_for(owner.id or 0)]) == [
        "owner-2",
        "owner-image",
    ]
    assert all(sub(t, BellState).unread == 0 for t in tabs.values() if t is not None)
    app = FakeApp(tabs)  # type: ignore[arg-type]

    # A job event for a tab without the jobs panel must not drop it from the registry.
    job = JobEvent(job_id="none", user_id=owner.id or 0, status="queued", done=0, total=1)
    run_async(live.deliver(app, job))  # type: ignore[arg-type]
    assert sorted([t.token for t in get_tabs().tabs_for(owner.id or 0)]) == [
        "owner-2",
        "owner-image",
    ]

    fan_tab = tabs["fan"]
    assert fan_tab is not None

    async def scenario() -> None:
        task = asyncio.create_task(live.job_event_listener(app))  # type: ignore[arg-type]
        # The fan comments: the service publishes the owner's unread count (in-process queue).
        await asyncio.to_thread(
            step, CommentsState.submit, sub(fan_tab, CommentsState), {"body": "Wow"}
        )
        deadline = time.monotonic() + 10
        owner_tabs = [tabs["owner-image"], tabs["owner-2"]]
        while not all(sub(t, BellState).unread == 1 for t in owner_tabs if t is not None):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    run_async(scenario())
    assert sub(fan_tab, BellState).unread == 0
    # The owner's image tabs were told to read the thread again (the new comment shows).
    refreshed = [t for t, update in app.sent if "refresh" in str(update.events)]
    assert sorted(refreshed) == ["owner-2", "owner-image"]


def test_a_notification_skips_and_forgets_a_tab_now_signed_in_as_someone_else() -> None:
    owner, other = new_user("alice"), new_user("carol")
    with session_scope() as s:
        user = s.get(User, owner.id)
        assert user is not None
    page = open_image(1, signed_in_cookie(owner), token="shared")
    root = page.parent_state
    assert root is not None
    bell = sub(root, BellState)
    bell._user_id = other.id  # the tab was reused for another account since
    app = FakeApp({"shared": root})  # type: ignore[arg-type]
    run_async(live.deliver_notification(app, NotificationEvent(user_id=owner.id or 0, unread=4)))  # type: ignore[arg-type]
    assert bell.unread == 0
    assert [t.token for t in get_tabs().tabs_for(owner.id or 0)] == []
