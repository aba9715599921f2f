"""Likes: idempotent like/unlike with exact counts, visibility, liked list, bulk has_liked."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Image, Like
from pixel_studio.services import cached, likes, ranking
from pixel_studio.services.errors import NotFound
from tests.services.generation_helpers import count
from tests.services.social_helpers import Bell, make_image, make_user


def _image(session: Session, image_id: int) -> Image:
    image = session.get(Image, image_id, populate_existing=True)
    assert image is not None
    return image


def test_like_is_idempotent_and_counted_once(session: Session, cache: MemoryCache) -> None:
    owner, fan = make_user(session, "owen", 0), make_user(session, "fay", 0)
    image_id = make_image(session, owner)
    bell = Bell()

    first = likes.like_image(session, cache, fan, image_id, publish=bell)
    again = likes.like_image(session, cache, fan, image_id, publish=bell)
    assert (first.liked, first.like_count, first.changed) == (True, 1, True)
    assert (again.liked, again.like_count, again.changed) == (True, 1, False)
    assert count(session, Like, image_id=image_id) == 1
    image = _image(session, image_id)
    assert image.like_count == 1
    assert image.hot == pytest.approx(ranking.hot_score(1, image.created_at))
    assert bell.last(owner) == 1  # the owner's bell: one unread (the like)

    gone = likes.unlike_image(session, cache, fan, image_id, publish=bell)
    twice = likes.unlike_image(session, cache, fan, image_id, publish=bell)
    assert (gone.liked, gone.like_count, gone.changed) == (False, 0, True)
    assert (twice.like_count, twice.changed) == (0, False)
    assert _image(session, image_id).like_count == 0
    assert bell.last(owner) == 0  # the unread like notification was taken back


def test_own_like_counts_but_notifies_nobody(session: Session, cache: MemoryCache) -> None:
    owner = make_user(session, "olga", 0)
    image_id = make_image(session, owner)
    bell = Bell()
    assert likes.like_image(session, cache, owner, image_id, publish=bell).like_count == 1
    assert bell == []


def test_private_or_missing_image_is_not_found(session: Session, cache: MemoryCache) -> None:
    owner, other = make_user(session, "pia", 0), make_user(session, "quin", 0)
    private = make_image(session, owner, private=True)
    for viewer, image_id in ((other, private), (other, 999_999)):
        with pytest.raises(NotFound):
            likes.like_image(session, cache, viewer, image_id)
        with pytest.raises(NotFound):
            likes.unlike_image(session, cache, viewer, image_id)
    assert likes.like_image(session, cache, owner, private).like_count == 1  # the owner may
    assert count(session, Like) == 1


def test_like_bumps_the_scopes_it_changes(session: Session, cache: MemoryCache) -> None:
    owner, fan = make_user(session, "rex", 0), make_user(session, "sue", 0)
    image_id = make_image(session, owner)
    scopes = [
        cached.image_scope(image_id),
        cached.likes_scope(fan),
        cached.user_scope(owner),
        cached.PUBLIC_IMAGES,
    ]
    before = [cached.key_for(cache, "x", [s]) for s in scopes]
    likes.like_image(session, cache, fan, image_id)
    after = [cached.key_for(cache, "x", [s]) for s in scopes]
    assert all(b != a for b, a in zip(before, after, strict=True))
    likes.like_image(session, cache, fan, image_id)  # no change: no bump
    assert [cached.key_for(cache, "x", [s]) for s in scopes] == after


def test_liked_images_newest_first_paged_and_visible_only(
    session: Session, cache: MemoryCache
) -> None:
    owner, fan, other = (make_user(session, n, 0) for n in ("tia", "uma", "vic"))
    ids = [make_image(session, owner) for _ in range(5)]
    hidden = make_image(session, owner, private=True)
    for image_id in [*ids, hidden]:
        likes.like_image(session, cache, owner if image_id == hidden else fan, image_id)
    likes.like_image(session, cache, owner, ids[0])  # someone else's like is not fan's

    page1 = likes.liked_images(session, fan, limit=2)
    assert [i.image.id for i in page1.items] == [ids[4], ids[3]]
    page2 = likes.liked_images(session, fan, before=page1.next_before, limit=2)
    page3 = likes.liked_images(session, fan, before=page2.next_before, limit=2)
    assert [i.image.id for i in page2.items] == [ids[2], ids[1]]
    assert [i.image.id for i in page3.items] == [ids[0]] and page3.next_before is None

    # The owner's own likes include their private image; another viewer never sees it.
    assert hidden in [i.image.id for i in likes.liked_images(session, owner).items]
    seen = likes.liked_images(session, other, user_id=owner).items
    assert [i.image.id for i in seen] == [ids[0]]
    assert likes.liked_images(session, None).items == []


def test_has_liked_many_at_once(session: Session, cache: MemoryCache) -> None:
    owner, fan = make_user(session, "wes", 0), make_user(session, "xia", 0)
    ids = [make_image(session, owner) for _ in range(3)]
    likes.like_image(session, cache, fan, ids[0])
    likes.like_image(session, cache, fan, ids[2])
    assert likes.has_liked(session, fan, [*ids, ids[0], 12345]) == {ids[0], ids[2]}
    assert likes.has_liked(session, owner, ids) == set()
    assert likes.has_liked(session, None, ids) == set()
    assert likes.has_liked(session, fan, []) == set()
