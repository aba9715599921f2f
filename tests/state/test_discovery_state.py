"""Explore, feed, profile and follow-list states without a browser, on the real services
over a migrated SQLite database (the app's own settings, an in-process cache)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from pixel_studio.db import session_scope, utcnow
from pixel_studio.models import Collection, CollectionImage, Follow, User
from pixel_studio.state.auth import AuthState
from pixel_studio.state.explore import ExploreState, explore_url, filters_from
from pixel_studio.state.feed import FeedState
from pixel_studio.state.follow_list import FollowListState
from pixel_studio.state.profile import ProfileState, username_from_path
from tests.services.discovery_helpers import add_image
from tests.state.test_account_state import (  # noqa: F401  (app_db is a fixture)
    app_db,
    make_state,
    new_user,
    run,
    shell_of,
    signed_in_cookie,
)

pytestmark = pytest.mark.usefixtures("app_db")


def image(owner: User, prompt: str, **fields: Any) -> int:
    with session_scope() as s:
        return add_image(s, owner.id or 0, prompt, **fields)


def open_state(cls: type[Any], path: str, cookie: str = "") -> Any:
    """The page's on_load as the app runs it: the shell first, then the page's state."""
    state = make_state(cls, cookie=cookie, path=path)
    run(AuthState.load_user, shell_of(state))
    run(cls.load, state)
    return state


def redirect_path(spec: Any) -> str:
    args = dict((str(k), v) for k, v in spec.args)
    return str(args["path"]._var_value)


def load_more(cls: type[Any], state: Any) -> list[Any]:
    """Run a `load_more` handler (an async generator: it shows `loading` first) to the end."""

    async def drain() -> list[Any]:
        return [item async for item in cls.load_more.fn(state)]

    with ThreadPoolExecutor(max_workers=1) as pool:  # as `run` does: a loop of its own
        return pool.submit(asyncio.run, drain()).result()


# ---------------------------------------------------------------- explore


def test_filters_from_the_url_fall_back_one_by_one() -> None:
    got = filters_from({"q": " fox ", "sort": "sideways", "window": "24h", "model": "all"})
    assert got == {"q": "fox", "model": "all", "style": "all", "sort": "recent", "window": "24h"}
    assert filters_from({"q": "x" * 500})["q"] == ""  # too long for the service: dropped
    assert explore_url(got) == "/explore?q=fox"  # the window only goes with trending
    trending = {**got, "sort": "trending", "style": "vivid"}
    assert explore_url(trending) == "/explore?q=fox&style=vivid&sort=trending&window=24h"


def test_explore_reads_search_from_the_url_and_pages_newest_first() -> None:
    ann = new_user("ann")
    now = utcnow()
    foxes = [image(ann, f"a red fox {i}", at=now - timedelta(minutes=i)) for i in range(30)]
    image(ann, "a blue whale", at=now)
    image(ann, "a secret fox", private=True)

    state = open_state(ExploreState, "/explore?q=foxes")  # stemmed: "foxes" finds "fox"
    assert state.loaded and state.q == "foxes" and state.filtered
    assert [c.image_id for c in state.cards] == foxes[:24]
    assert state.has_more and state.cards[0].href == f"/image/{foxes[0]}"
    assert state.cards[0].creator == "ann" and not state.cards[0].private
    load_more(ExploreState, state)
    assert [c.image_id for c in state.cards] == foxes and not state.has_more

    # A reload of the same URL shows the same results.
    again = open_state(ExploreState, "/explore?q=foxes")
    assert [c.image_id for c in again.cards] == foxes[:24]

    none = open_state(ExploreState, "/explore?q=xyzzy")
    assert none.loaded and none.cards == [] and none.q == "xyzzy" and not none.has_more


def test_explore_filter_changes_go_through_the_url() -> None:
    state = open_state(ExploreState, "/explore?q=fox&sort=liked")
    assert (state.q, state.sort) == ("fox", "liked")
    assert redirect_path(run(ExploreState.search, state, {"q": " owl "})) == (
        "/explore?q=owl&sort=liked"
    )
    assert redirect_path(run(ExploreState.set_sort, state, "trending")) == (
        "/explore?q=fox&sort=trending"  # the default window stays out of the URL
    )
    assert redirect_path(run(ExploreState.set_window, state, "30d")) == "/explore?q=fox&sort=liked"
    trending = open_state(ExploreState, "/explore?q=fox&sort=trending")
    assert redirect_path(run(ExploreState.set_window, trending, "30d")) == (
        "/explore?q=fox&sort=trending&window=30d"
    )
    assert redirect_path(run(ExploreState.set_sort, state, "bogus")) == "/explore?q=fox"
    assert redirect_path(run(ExploreState.set_model, state, "local-sketch")) == (
        "/explore?q=fox&model=local-sketch&sort=liked"
    )
    assert redirect_path(run(ExploreState.clear_filters, state)) == "/explore?sort=liked"
    # The address is the filters' truth: a change sent before this page's on_load has run
    # (the state still holding the last page's search) keeps this page's search.
    state.q, state.sort = "xyzzy", "recent"
    assert redirect_path(run(ExploreState.set_model, state, "local-sketch")) == (
        "/explore?q=fox&model=local-sketch&sort=liked"
    )


def test_explore_sorts_by_likes_and_trending_window() -> None:
    ann = new_user("ann")
    now = utcnow()
    old_hit = image(ann, "old but loved", likes=50, at=now - timedelta(days=3))
    new = image(ann, "new", likes=1, at=now)
    liked = open_state(ExploreState, "/explore?sort=liked")
    assert [c.image_id for c in liked.cards] == [old_hit, new]
    day = open_state(ExploreState, "/explore?sort=trending&window=24h")
    assert [c.image_id for c in day.cards] == [new]
    week = open_state(ExploreState, "/explore?sort=trending&window=7d")
    assert set(c.image_id for c in week.cards) == {old_hit, new}


# ---------------------------------------------------------------- profile and follows


def test_profile_of_someone_else_and_follow_from_it() -> None:
    ann, bob = new_user("ann"), new_user("bob")
    public = image(ann, "a public lighthouse")
    image(ann, "a private diary", private=True)
    cookie = signed_in_cookie(bob)

    state = open_state(ProfileState, "/u/ann", cookie)
    assert state.found and state.name == "ann" and not state.is_owner
    assert [c.image_id for c in state.cards] == [public]
    assert (state.image_count, state.follower_count, state.following_count) == (1, 0, 0)
    assert not state.viewer_follows

    assert run(ProfileState.toggle_follow, state) is None
    assert state.viewer_follows and state.follower_count == 1 and not state.follow_busy
    with session_scope() as s:
        assert s.get(Follow, (bob.id, ann.id)) is not None

    # Bob's feed now holds Ann's public image (and not her private one).
    feed = make_state(FeedState, cookie=cookie, path="/feed")
    assert run(AuthState.require_user, shell_of(feed)) is None
    run(FeedState.load, feed)
    assert feed.loaded and [c.image_id for c in feed.cards] == [public]

    run(ProfileState.toggle_follow, state)
    assert not state.viewer_follows and state.follower_count == 0
    run(FeedState.load, feed)
    assert feed.cards == []


def test_owner_sees_private_images_marked_and_no_follow_button() -> None:
    ann = new_user("ann")
    private = image(ann, "a private diary", private=True)
    public = image(ann, "a public lighthouse")
    state = open_state(ProfileState, "/u/ann/", signed_in_cookie(ann))
    assert state.is_owner and state.image_count == 2
    assert [(c.image_id, c.private) for c in state.cards] == [(public, False), (private, True)]
    assert "exp=" in state.cards[1].thumb  # a private file only through a signed URL
    assert run(ProfileState.toggle_follow, state) is None  # nothing to do on one's own
    with session_scope() as s:
        assert s.exec(select(Follow)).all() == []


def test_visitor_follow_goes_to_log_in_and_unknown_user_is_not_found() -> None:
    new_user("ann")
    state = open_state(ProfileState, "/u/ann")
    answer = run(ProfileState.toggle_follow, state)
    assert redirect_path(answer).startswith("/login?next=%2Fu%2Fann")
    for path in ("/u/nobody", "/u/NO!", "/u/"):
        missing = open_state(ProfileState, path)
        assert missing.loaded and not missing.found and missing.cards == []
    assert username_from_path("/u/Ann/followers") == "ann"


def test_profile_tabs_load_sets_and_collections() -> None:
    ann, bob = new_user("ann"), new_user("bob")
    public = image(ann, "a public lighthouse")
    image(ann, "a private diary", private=True)
    with session_scope() as s:
        shown = Collection(user_id=ann.id or 0, title="Sea", private=False)
        hidden = Collection(user_id=ann.id or 0, title="Secret", private=True)
        s.add(shown)
        s.add(hidden)
        s.flush()
        s.add(CollectionImage(collection_id=shown.id or 0, image_id=public))
        shown_id = shown.id
    state = open_state(ProfileState, "/u/ann", signed_in_cookie(bob))
    run(ProfileState.set_tab, state, "sets")
    assert state.tab == "sets" and state.sets_loaded
    assert [t.prompt for t in state.sets] == ["a public lighthouse"]
    assert state.sets[0].href.startswith("/sets/") and state.sets[0].cover
    run(ProfileState.set_tab, state, "collections")
    assert [(t.title, t.image_count) for t in state.collections] == [("Sea", 1)]
    assert state.collections[0].href == f"/collections/{shown_id}"
    mine = open_state(ProfileState, "/u/ann", signed_in_cookie(ann))
    run(ProfileState.set_tab, mine, "collections")
    assert {t.title for t in mine.collections} == {"Sea", "Secret"}


def test_follow_lists_with_a_button_on_each_row() -> None:
    ann, bob, cid = new_user("ann"), new_user("bob"), new_user("cid")
    with session_scope() as s:
        s.add(Follow(follower_id=bob.id or 0, followee_id=ann.id or 0))
        s.add(Follow(follower_id=cid.id or 0, followee_id=ann.id or 0))
    state = open_state(FollowListState, "/u/ann/followers", signed_in_cookie(bob))
    assert state.found and state.kind == "followers" and state.heading == "People following ann"
    rows = {r.username: r for r in state.rows}
    assert set(rows) == {"bob", "cid"} and rows["bob"].is_viewer and not rows["cid"].is_viewer
    assert rows["cid"].href == "/u/cid"

    run(FollowListState.toggle_follow, state, cid.id)
    assert next(r for r in state.rows if r.username == "cid").viewer_follows
    run(FollowListState.toggle_follow, state, bob.id)  # one's own row: nothing
    with session_scope() as s:
        assert s.get(Follow, (bob.id, cid.id)) is not None
        assert s.get(Follow, (bob.id, bob.id)) is None

    following = open_state(FollowListState, "/u/bob/following", signed_in_cookie(bob))
    assert following.kind == "following"
    assert {r.username for r in following.rows} == {"ann", "cid"}
    assert not open_state(FollowListState, "/u/nobody/following").found


def test_feed_empty_and_visitor() -> None:
    bob = new_user("bob")
    feed = make_state(FeedState, cookie=signed_in_cookie(bob), path="/feed")
    assert run(AuthState.require_user, shell_of(feed)) is None
    run(FeedState.load, feed)
    assert feed.loaded and feed.cards == [] and not feed.has_more
    visitor = make_state(FeedState, path="/feed")
    assert run(AuthState.require_user, shell_of(visitor)) is not None  # sent to log in
    run(FeedState.load, visitor)
    assert visitor.cards == [] and not visitor.loaded
