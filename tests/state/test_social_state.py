"""The social UI's states (likes, comments, collections, notifications, the live bell) on
the real services, a migrated SQLite database and local files; no browser.

Tabs are state trees built the way the socket builds them (tests/state/test_account_state.py);
generator handlers are stepped through so the optimistic first delta can be checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from reflex.state import BaseState
from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.cache import get_cache
from pixel_studio.db import get_engine, session_scope
from pixel_studio.events import JobEvent, NotificationEvent
from pixel_studio.models import Collection, CollectionImage, Comment, Image, Like, User
from pixel_studio.services import auth, collections, comments, likes
from pixel_studio.state import live
from pixel_studio.state.auth import SESSION_ENDED, AuthState, session_token
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionPickerState, CollectionsState
from pixel_studio.state.comments import MAX_VISUAL_DEPTH, CommentsState
from pixel_studio.state.image_page import ImagePageState
from pixel_studio.state.likes import LikeButtonState, LikedImagesState
from pixel_studio.state.notifications import BellState, NotificationsState
from pixel_studio.tabs import get_tabs
from tests.state.test_account_state import (  # noqa: F401  (app_db is a fixture)
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
)
from tests.state.test_image_page_state import make_set
from tests.state.test_jobs_state import FakeApp, run_async


@pytest.fixture
def social_db(app_db: Path) -> Iterator[Path]:  # noqa: F811
    get_tabs.cache_clear()
    events.drain_local()
    yield app_db
    events.drain_local()
    get_tabs.cache_clear()


pytestmark = pytest.mark.usefixtures("social_db")


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


# ---------------------------------------------------------------- likes


def test_like_is_optimistic_then_the_servers_and_unlike_undoes_it() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    page = open_image(image_id, signed_in_cookie(fan))
    button = sub(page, LikeButtonState)
    assert (button.image_id, button.liked, button.like_count) == (image_id, False, 0)

    steps = step(LikeButtonState.toggle, button)
    first = steps[0][1]
    assert (first["liked"], first["like_count"]) == (True, 1)  # shown before the server answers
    assert (button.liked, button.like_count) == (True, 1)
    with Session(get_engine()) as s:
        assert s.exec(select(Like)).one().user_id == fan.id
        assert s.get(Image, image_id).like_count == 1  # type: ignore[union-attr]

    # A second tab of the same page reads it from the read model (viewer's like included).
    assert sub(open_image(image_id, signed_in_cookie(fan)), LikeButtonState).liked

    step(LikeButtonState.toggle, button)
    assert (button.liked, button.like_count) == (False, 0)
    with Session(get_engine()) as s:
        assert s.exec(select(Like)).all() == []


def test_a_refused_like_puts_the_button_back() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    page = open_image(image_id, signed_in_cookie(fan))
    with session_scope() as s:  # the owner makes it private while the page is open
        image = s.get(Image, image_id)
        assert image is not None
        image.private = True
    steps = step(LikeButtonState.toggle, sub(page, LikeButtonState))
    assert steps[0][1]["liked"] is True  # optimistic
    button = sub(page, LikeButtonState)
    assert (button.liked, button.like_count) == (False, 0)
    assert "does not exist or is private" in texts(steps)


def test_a_visitor_is_sent_to_log_in() -> None:
    owner = new_user("alice")
    (image_id,) = make_set(owner, count=1)
    page = open_image(image_id)
    steps = step(LikeButtonState.toggle, sub(page, LikeButtonState))
    assert f"/login?next=%2Fimage%2F{image_id}" in texts(steps)
    assert sub(page, LikeButtonState).like_count == 0
    steps = step(CommentsState.submit, sub(page, CommentsState), {"body": "hi"})
    assert "/login?next=" in texts(steps)
    steps = step(CollectionPickerState.open_for, sub(page, CollectionPickerState), image_id)
    assert "/login?next=" in texts(steps) and not sub(page, CollectionPickerState).open


def test_a_revoked_session_likes_and_comments_nothing() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    cookie = signed_in_cookie(fan)
    page = open_image(image_id, cookie)
    with session_scope() as s:
        auth.revoke(s, session_token(cookie))
    assert SESSION_ENDED in texts(step(LikeButtonState.toggle, sub(page, LikeButtonState)))
    assert not sub(page, AuthState).signed_in
    page = open_image(image_id, cookie)  # the page as it was before the next event
    sub(page, AuthState).signed_in, sub(page, AuthState)._user_id = True, fan.id
    assert SESSION_ENDED in texts(
        step(CommentsState.submit, sub(page, CommentsState), {"body": "x"})
    )
    with Session(get_engine()) as s:
        assert s.exec(select(Like)).all() == [] and s.exec(select(Comment)).all() == []


def test_a_revoked_session_changes_no_collection_and_reads_no_notifications() -> None:
    owner = new_user("alice")
    (image_id,) = make_set(owner, count=1)
    with session_scope() as s:
        kept = collections.create_collection(s, get_cache(), owner.id or 0, "Kept")
    cookie = signed_in_cookie(owner)
    detail = make_state(CollectionDetailState, cookie=cookie, path=f"/collections/{kept.id}")
    run(AuthState.load_user, sub(detail, AuthState))
    run(CollectionDetailState.load, detail)
    picker = sub(open_image(image_id, cookie), CollectionPickerState)
    step(CollectionPickerState.open_for, picker, image_id)
    assert detail.is_owner and picker.open
    notes = make_state(NotificationsState, cookie=cookie, path="/notifications")
    run(AuthState.require_user, sub(notes, AuthState))
    with session_scope() as s:
        auth.revoke(s, session_token(cookie))

    assert SESSION_ENDED in str(run(CollectionDetailState.delete_collection, detail))
    assert not detail.found and not detail.is_owner  # signed out: nothing of it left
    assert SESSION_ENDED in texts(step(CollectionPickerState.toggle, picker, kept.id, True))
    assert SESSION_ENDED in str(run(NotificationsState.mark_all_read, notes))
    run(NotificationsState.load, notes)
    assert notes.rows == [] and not notes.loaded
    with Session(get_engine()) as s:
        assert s.exec(select(Collection.title)).all() == ["Kept"]
        assert s.exec(select(CollectionImage)).all() == []


def test_likes_page_lists_newest_like_first_and_pages() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    ids = make_set(owner, count=3)
    with session_scope() as s:
        for image_id in ids:
            likes.like_image(s, get_cache(), fan.id or 0, image_id, publish=lambda e: None)
    state = make_state(LikedImagesState, cookie=signed_in_cookie(fan), path="/likes")
    run(AuthState.require_user, sub(state, AuthState))
    run(LikedImagesState.load, state)
    assert [c.image_id for c in state.cards] == list(reversed(ids))
    assert state.cards[0].href == f"/image/{ids[-1]}" and not state.has_more
    assert run(LikedImagesState.load_more_if_visible, state, True) is None


# ---------------------------------------------------------------- comments


def test_comment_reply_like_and_delete_with_placeholder() -> None:
    owner, fan = new_user("alice"), new_user("bob")
    (image_id,) = make_set(owner, count=1)
    fan_page = open_image(image_id, signed_in_cookie(fan))
    thread = sub(fan_page, CommentsState)
    assert thread.loaded and thread.rows == [] and thread.count == 0

    steps = step(CommentsState.submit, thread, {"body": "   "})
    assert thread.body_error == "Write something first." and "Comment posted" not in texts(steps)
    run(CommentsState.set_body, thread, "Lovely light")
    step(CommentsState.submit, thread, {"body": "Lovely light"})
    assert thread.body == "" and thread.count == 1
    (first,) = thread.rows
    assert (first.username, first.body, first.mine, first.indent) == (
        "bob",
        "Lovely light",
        True,
        "0px",
    )

    owner_page = open_image(image_id, signed_in_cookie(owner))
    replies = sub(owner_page, CommentsState)
    assert not replies.rows[0].mine
    run(CommentsState.start_reply, replies, first.id)
    assert replies.reply_to == first.id
    step(CommentsState.submit_reply, replies, {"reply_body": "Thank you!"})
    assert replies.reply_to == 0 and [r.body for r in replies.rows] == [
        "Lovely light",
        "Thank you!",
    ]
    assert replies.rows[1].indent == "20px" and replies.rows[1].replying_to == ""

    step(CommentsState.toggle_like, replies, first.id)
    assert replies.rows[0].liked and replies.rows[0].like_count == 1

    # The author deletes the comment that has a reply: it stays in place as "deleted".
    run(CommentsState.refresh, thread)
    run(CommentsState.delete, thread, first.id)
    assert [(r.deleted, r.body, r.username) for r in thread.rows] == [
        (True, "", ""),
        (False, "Thank you!", "alice"),
    ]
    assert thread.count == 1
    # Someone else's comment cannot be deleted (the button is hidden; the service refuses).
    assert "only delete your own" in str(run(CommentsState.delete, thread, thread.rows[1].id))


def test_deep_threads_stop_indenting_at_the_cap_and_name_the_parent() -> None:
    owner = new_user("alice")
    (image_id,) = make_set(owner, count=1)
    parent = None
    with session_scope() as s:
        for n in range(MAX_VISUAL_DEPTH + 2):
            view = comments.add_comment(
                s,
                get_cache(),
                owner.id or 0,
                image_id,
                f"level {n}",
                parent_id=parent,
                publish=lambda e: None,
            )
            parent = view.id
    rows = sub(open_image(image_id, signed_in_cookie(owner)), CommentsState).rows
    indents = [r.indent for r in rows]
    assert indents[MAX_VISUAL_DEPTH] == indents[-1] == f"{MAX_VISUAL_DEPTH * 20}px"
    assert rows[-1].replying_to == "alice" and rows[MAX_VISUAL_DEPTH].replying_to == ""


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
    assert sorted(get_tabs().tokens_for(owner.id or 0)) == ["owner-2", "owner-image"]
    assert all(sub(t, BellState).unread == 0 for t in tabs.values() if t is not None)
    app = FakeApp(tabs)  # type: ignore[arg-type]

    # A job event for a tab without the jobs panel must not drop it from the registry.
    job = JobEvent(job_id="none", user_id=owner.id or 0, status="queued", done=0, total=1)
    run_async(live.deliver(app, job))  # type: ignore[arg-type]
    assert sorted(get_tabs().tokens_for(owner.id or 0)) == ["owner-2", "owner-image"]

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
    assert get_tabs().tokens_for(owner.id or 0) == []
