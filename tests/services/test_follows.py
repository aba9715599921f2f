"""Follows: idempotent follow/unfollow, not yourself, paged lists with the viewer's follows."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Follow, Notification
from pixel_studio.services import cached
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.social import follows
from tests.services.generation_helpers import count
from tests.services.social_helpers import Bell, make_user


def test_follow_is_idempotent_and_notifies_once(session: Session, cache: MemoryCache) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    bell = Bell()
    scope = cached.key_for(cache, "x", [cached.follows_scope(ann)])
    first = follows.follow(session, cache, ann, bob, publish=bell)
    again = follows.follow(session, cache, ann, bob, publish=bell)
    assert (first.following, first.follower_count, first.changed) == (True, 1, True)
    assert (again.follower_count, again.changed) == (1, False)
    assert count(session, Follow) == 1 and count(session, Notification, kind="follow") == 1
    assert bell.last(bob) == 1 and len(bell) == 1
    assert cached.key_for(cache, "x", [cached.follows_scope(ann)]) != scope
    assert follows.counts(session, bob) == follows.FollowCounts(followers=1, following=0)
    assert follows.counts(session, ann) == follows.FollowCounts(followers=0, following=1)

    off = follows.unfollow(session, cache, ann, bob, publish=bell)
    assert (off.following, off.follower_count, off.changed) == (False, 0, True)
    assert follows.unfollow(session, cache, ann, bob).changed is False
    assert count(session, Notification) == 0 and bell.last(bob) == 0  # unread one taken back


def test_not_yourself_and_not_a_ghost(session: Session, cache: MemoryCache) -> None:
    ann = make_user(session, "ann", 0)
    with pytest.raises(InvalidInput) as err:
        follows.follow(session, cache, ann, ann)
    assert err.value.field == "user_id"
    with pytest.raises(NotFound):
        follows.follow(session, cache, ann, 987654)
    with pytest.raises(NotFound):
        follows.followers(session, ann, 987654)
    assert count(session, Follow) == 0


def test_lists_are_paged_newest_first_with_the_viewers_follows(
    session: Session, cache: MemoryCache
) -> None:
    star = make_user(session, "star", 0)
    fans = [make_user(session, f"fan{n}", 0) for n in range(5)]
    viewer = make_user(session, "viewer", 0)
    for fan in fans:
        follows.follow(session, cache, fan, star)
    follows.follow(session, cache, viewer, fans[4])
    follows.follow(session, cache, viewer, fans[1])

    page1 = follows.followers(session, viewer, star, limit=3)
    page2 = follows.followers(session, viewer, star, before=page1.next_before, limit=3)
    assert [r.user_id for r in page1.items] == [fans[4], fans[3], fans[2]]
    assert [r.user_id for r in page2.items] == [fans[1], fans[0]] and page2.next_before is None
    assert [r.viewer_follows for r in page1.items + page2.items] == [
        True,
        False,
        False,
        True,
        False,
    ]
    assert page1.items[0].username == "fan4"
    anonymous = follows.followers(session, None, star)
    assert not any(r.viewer_follows for r in anonymous.items)

    out = follows.following(session, viewer, viewer)
    assert [r.user_id for r in out.items] == [fans[1], fans[4]]
    assert all(r.viewer_follows for r in out.items)
    assert follows.is_following(session, viewer, [*fans, star]) == {fans[1], fans[4]}
