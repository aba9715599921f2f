"""The social UI's states, likes and comments, on the real services, a migrated SQLite
database and local files; no browser (collections and notifications:
test_collections_state.py).

Tabs are state trees built the way the socket builds them (tests/state/test_account_state.py);
generator handlers are stepped through so the optimistic first delta can be checked.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pixel_studio.cache import get_cache
from pixel_studio.db import get_engine, session_scope
from pixel_studio.models import Collection, CollectionImage, Comment, Image, Like
from pixel_studio.services.accounts import auth
from pixel_studio.services.social import collections, comments, likes
from pixel_studio.state.auth import SESSION_ENDED, AuthState, session_token
from pixel_studio.state.collection_detail import CollectionDetailState
from pixel_studio.state.collections import CollectionPickerState
from pixel_studio.state.comments import MAX_VISUAL_DEPTH, CommentsState
from pixel_studio.state.likes import LikeButtonState, LikedImagesState
from pixel_studio.state.notifications import NotificationsState
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

pytestmark = pytest.mark.usefixtures("social_db")


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
