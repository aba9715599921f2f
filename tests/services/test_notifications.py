"""Notifications: who is told, listing with actor and image, read state, vanished things."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session, col

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Image, User
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social import comments, follows, likes, notifications
from tests.services.social_helpers import Bell, make_image, make_user


def test_list_newest_first_with_actor_and_image(session: Session, cache: MemoryCache) -> None:
    owner, ann, bob = (make_user(session, n, 0) for n in ("own", "ann", "bob"))
    session.exec(update(User).where(col(User.id) == ann).values(avatar_key="avatars/ann.webp"))
    session.commit()
    image_id = make_image(session, owner)
    likes.like_image(session, cache, ann, image_id)
    c = comments.add_comment(session, cache, bob, image_id, "nice")
    follows.follow(session, cache, ann, owner)

    page = notifications.list_notifications(session, owner)
    assert [(n.kind, n.actor_username) for n in page.items] == [
        ("follow", "ann"),
        ("comment", "bob"),
        ("like", "ann"),
    ]
    assert page.items[2].actor_avatar_key == "avatars/ann.webp"
    assert page.items[2].image_id == image_id and page.items[1].comment_id == c.id
    assert page.items[0].image_id is None and page.unread == 3

    first = notifications.list_notifications(session, owner, limit=2)
    rest = notifications.list_notifications(session, owner, before=first.next_before, limit=2)
    assert [n.kind for n in first.items + rest.items] == ["follow", "comment", "like"]
    assert rest.next_before is None
    assert notifications.list_notifications(session, ann).items == []


def test_mark_one_and_all_read_publish_the_count(session: Session, cache: MemoryCache) -> None:
    owner, ann, bob = (make_user(session, n, 0) for n in ("own", "ann", "bob"))
    follows.follow(session, cache, ann, owner)
    follows.follow(session, cache, bob, owner)
    bell = Bell()
    newest = notifications.list_notifications(session, owner).items[0]
    assert notifications.mark_read(session, owner, newest.id, publish=bell) == 1
    assert bell.last(owner) == 1
    with pytest.raises(NotFound):  # someone else's notification
        notifications.mark_read(session, ann, newest.id, publish=bell)
    assert notifications.mark_all_read(session, owner, publish=bell) == 0
    assert bell.last(owner) == 0
    assert all(n.read for n in notifications.list_notifications(session, owner).items)
    # A read notification is not taken back by an unfollow: it was seen.
    follows.unfollow(session, cache, bob, owner)
    assert len(notifications.list_notifications(session, owner).items) == 2


def test_things_that_vanish_or_hide_leave_the_list_working(
    session: Session, cache: MemoryCache
) -> None:
    owner, ann = make_user(session, "own", 0), make_user(session, "ann", 0)
    doomed = make_image(session, owner)
    hidden = make_image(session, owner)
    kept = make_image(session, ann)
    likes.like_image(session, cache, ann, doomed)
    top = comments.add_comment(session, cache, ann, hidden, "hi")
    comments.add_comment(session, cache, owner, hidden, "reply", parent_id=top.id)
    reply_on_kept = comments.add_comment(session, cache, owner, kept, "hello")
    comments.add_comment(session, cache, ann, kept, "re", parent_id=reply_on_kept.id)
    # ann: owner's reply on `hidden`, owner's comment on her `kept`; owner: like, comment, reply.
    assert notifications.unread_count(session, ann) == 2
    assert notifications.unread_count(session, owner) == 3

    # What services/studio/images.delete_image does to the rows: the like's notification goes too.
    session.exec(delete(Image).where(col(Image.id) == doomed))
    session.commit()
    comments.delete_comment(session, cache, ann, top.id)  # has a reply: stays as "deleted"
    # `hidden` goes private: ann's reply notification about it is no longer shown to her.
    session.exec(update(Image).where(col(Image.id) == hidden).values(private=True))
    session.commit()
    seen = notifications.list_notifications(session, ann)
    assert [(n.kind, n.image_id) for n in seen.items] == [("comment", kept)]
    assert seen.unread == 1 == notifications.unread_count(session, ann)
    page = notifications.list_notifications(session, owner)
    assert [n.kind for n in page.items] == ["reply", "comment"] and page.unread == 2

    # A deleted comment that has replies stays as "deleted": its notifications say so.
    comments.delete_comment(session, cache, owner, reply_on_kept.id)
    assert notifications.list_notifications(session, ann).items[0].comment_deleted
    flags = [n.comment_deleted for n in notifications.list_notifications(session, owner).items]
    assert flags == [False, True]


def test_no_notification_about_an_image_the_recipient_cannot_see(
    session: Session, cache: MemoryCache
) -> None:
    owner, ann = make_user(session, "own", 0), make_user(session, "ann", 0)
    image_id = make_image(session, owner)
    top = comments.add_comment(session, cache, ann, image_id, "hi")
    session.exec(update(Image).where(col(Image.id) == image_id).values(private=True))
    session.commit()
    bell = Bell()
    comments.add_comment(session, cache, owner, image_id, "re", parent_id=top.id, publish=bell)
    assert bell.last(ann) is None
    assert notifications.unread_count(session, ann) == 0
