"""Comments: threads, validation, deletion that keeps threads readable, likes, exact counts."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Comment, Image, Notification
from pixel_studio.services.errors import InvalidInput, NotAllowed, NotFound
from pixel_studio.services.social import comments
from tests.services.generation_helpers import count
from tests.services.social_helpers import Bell, make_image, make_user


def _comment_count(session: Session, image_id: int) -> int:
    image = session.get(Image, image_id, populate_existing=True)
    assert image is not None
    return image.comment_count


def test_thread_of_any_depth_comes_back_as_a_tree(session: Session, cache: MemoryCache) -> None:
    owner, ann, bob = (make_user(session, n, 0) for n in ("own", "ann", "bob"))
    image_id = make_image(session, owner)
    top = comments.add_comment(session, cache, ann, image_id, "  first!  ")
    reply = comments.add_comment(session, cache, bob, image_id, "re", parent_id=top.id)
    deeper = comments.add_comment(session, cache, ann, image_id, "re re", parent_id=reply.id)
    second = comments.add_comment(session, cache, owner, image_id, "thanks")
    assert top.body == "first!" and top.depth == 0 and top.username == "ann"
    assert (reply.depth, deeper.depth) == (1, 2)

    tree = comments.list_comments(session, None, image_id)
    assert [c.id for c in tree.roots] == [top.id, second.id]
    assert [c.id for c in tree.roots[0].children] == [reply.id]
    assert [c.id for c in tree.roots[0].children[0].children] == [deeper.id]
    assert [(c.id, c.depth) for c in tree.flat] == [
        (top.id, 0),
        (reply.id, 1),
        (deeper.id, 2),
        (second.id, 0),
    ]
    assert tree.comment_count == 4 == _comment_count(session, image_id)
    assert not tree.truncated


def test_the_tree_is_capped(session: Session, cache: MemoryCache) -> None:
    owner = make_user(session, "cap", 0)
    image_id = make_image(session, owner)
    ids = [comments.add_comment(session, cache, owner, image_id, f"c{n}").id for n in range(4)]
    tree = comments.list_comments(session, owner, image_id, limit=3)
    assert [c.id for c in tree.flat] == ids[:3] and tree.truncated


@pytest.mark.parametrize(
    "body", ["", "   ", "x" * 2001, "bad\x00byte"], ids=["empty", "blank", "long", "nul"]
)
def test_bad_bodies_are_refused_with_the_field(
    session: Session, cache: MemoryCache, body: str
) -> None:
    owner = make_user(session, "val", 0)
    image_id = make_image(session, owner)
    with pytest.raises(InvalidInput) as err:
        comments.add_comment(session, cache, owner, image_id, body)
    assert err.value.field == "body"
    assert count(session, Comment) == 0
    assert comments.add_comment(session, cache, owner, image_id, "x" * 2000).body == "x" * 2000


def test_parent_must_be_on_the_same_image(session: Session, cache: MemoryCache) -> None:
    owner = make_user(session, "par", 0)
    one, two = make_image(session, owner), make_image(session, owner)
    elsewhere = comments.add_comment(session, cache, owner, one, "hi")
    for parent in (elsewhere.id, 424242):
        with pytest.raises(NotFound):
            comments.add_comment(session, cache, owner, two, "reply", parent_id=parent)
    assert _comment_count(session, two) == 0


def test_private_image_comments_are_not_found_for_others(
    session: Session, cache: MemoryCache
) -> None:
    owner, other = make_user(session, "pri", 0), make_user(session, "oth", 0)
    image_id = make_image(session, owner, private=True)
    mine = comments.add_comment(session, cache, owner, image_id, "note to self")
    with pytest.raises(NotFound):
        comments.add_comment(session, cache, other, image_id, "hi")
    with pytest.raises(NotFound):
        comments.list_comments(session, other, image_id)
    with pytest.raises(NotFound):
        comments.like_comment(session, cache, other, mine.id)
    with pytest.raises(NotFound):  # never NotAllowed: its existence is not revealed
        comments.delete_comment(session, cache, other, mine.id)


def test_delete_keeps_a_placeholder_only_while_replies_exist(
    session: Session, cache: MemoryCache
) -> None:
    owner, ann = make_user(session, "del", 0), make_user(session, "ann", 0)
    image_id = make_image(session, owner)
    top = comments.add_comment(session, cache, owner, image_id, "parent")
    reply = comments.add_comment(session, cache, ann, image_id, "child", parent_id=top.id)
    lone = comments.add_comment(session, cache, ann, image_id, "lone")

    with pytest.raises(NotAllowed):
        comments.delete_comment(session, cache, ann, top.id)
    comments.delete_comment(session, cache, owner, top.id)
    comments.delete_comment(session, cache, owner, top.id)  # again: no double count
    comments.delete_comment(session, cache, ann, lone.id)
    tree = comments.list_comments(session, ann, image_id)
    assert [c.id for c in tree.flat] == [top.id, reply.id]
    shown = tree.flat[0]
    assert shown.deleted and shown.body == "" and shown.username is None
    assert tree.comment_count == 1 == _comment_count(session, image_id)
    with pytest.raises(NotFound):  # no replies under a deleted comment
        comments.add_comment(session, cache, ann, image_id, "late", parent_id=top.id)

    # The last reply goes: the deleted parent has nothing left to hold, and goes too.
    comments.delete_comment(session, cache, ann, reply.id)
    assert comments.list_comments(session, ann, image_id).flat == []
    assert count(session, Comment) == 0 and _comment_count(session, image_id) == 0


def test_comment_likes_are_exact_and_idempotent(session: Session, cache: MemoryCache) -> None:
    owner, ann = make_user(session, "lik", 0), make_user(session, "ann", 0)
    image_id = make_image(session, owner)
    c = comments.add_comment(session, cache, owner, image_id, "like me")
    assert comments.like_comment(session, cache, ann, c.id).like_count == 1
    assert comments.like_comment(session, cache, ann, c.id).changed is False
    assert comments.like_comment(session, cache, owner, c.id).like_count == 2
    tree = comments.list_comments(session, ann, image_id)
    assert tree.flat[0].liked and tree.flat[0].like_count == 2
    assert not comments.list_comments(session, None, image_id).flat[0].liked
    gone = comments.unlike_comment(session, cache, ann, c.id)
    assert (gone.liked, gone.like_count, gone.changed) == (False, 1, True)
    assert comments.unlike_comment(session, cache, ann, c.id).changed is False


def test_comment_and_reply_notify_the_right_people(session: Session, cache: MemoryCache) -> None:
    owner, ann, bob = (make_user(session, n, 0) for n in ("nto", "ann", "bob"))
    image_id = make_image(session, owner)
    bell = Bell()
    top = comments.add_comment(session, cache, ann, image_id, "hi", publish=bell)
    assert bell.last(owner) == 1 and bell.last(ann) is None
    comments.add_comment(session, cache, bob, image_id, "re", parent_id=top.id, publish=bell)
    assert bell.last(ann) == 1  # the reply
    assert bell.last(owner) == 2  # and a comment on the owner's image
    comments.add_comment(session, cache, owner, image_id, "re", parent_id=top.id, publish=bell)
    assert bell.last(ann) == 2 and bell.last(owner) == 2  # never for your own action
    kinds = {(n.user_id, n.kind) for n in session.exec(select(Notification))}
    assert kinds == {(owner, "comment"), (ann, "reply")}
