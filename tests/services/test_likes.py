"""Likes: idempotent like/unlike with exact counts, visibility, liked list, bulk has_liked."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from pixel_studio.cache import Cache, MemoryCache, RedisCache
from pixel_studio.models import Image, Like
from pixel_studio.services import cached
from pixel_studio.services.errors import NotFound
from pixel_studio.services.social import comments, likes, ranking
from pixel_studio.services.studio import sets
from pixel_studio.services.studio.images import delete_image, set_image_privacy
from pixel_studio.storage.local import LocalStorage
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

    page1 = likes.liked_images(session, cache, fan, limit=2)
    assert [c.id for c in page1.items] == [ids[4], ids[3]]
    page2 = likes.liked_images(session, cache, fan, before=page1.next_before, limit=2)
    page3 = likes.liked_images(session, cache, fan, before=page2.next_before, limit=2)
    assert [c.id for c in page2.items] == [ids[2], ids[1]]
    assert [c.id for c in page3.items] == [ids[0]] and page3.next_before is None
    # Warm: the same pages again, now from the cache.
    again = likes.liked_images(session, cache, fan, before=page1.next_before, limit=2)
    assert again == page2

    # The owner's own likes include their private image; another viewer never sees it.
    assert hidden in [c.id for c in likes.liked_images(session, cache, owner).items]
    seen = likes.liked_images(session, cache, other, user_id=owner).items
    assert [c.id for c in seen] == [ids[0]]
    assert likes.liked_images(session, cache, None).items == []


def _store_files(storage: LocalStorage, session: Session, image_id: int) -> None:
    """make_image writes keys only; a privacy change copies the files, so give it some."""
    image = _image(session, image_id)
    for key in (image.original_key, image.thumbnail_key):
        storage.put(key, b"x", "image/png")


def _liked(session: Session, cache: Cache, viewer: int) -> list[tuple[int, int, bool]]:
    page = likes.liked_images(session, cache, viewer)
    return [(c.id, c.like_count, c.private) for c in page.items]


@pytest.mark.parametrize("redis", [False, True], ids=["memory", "dead-redis"])
def test_liked_images_cache_follows_every_change(
    session: Session, storage: LocalStorage, redis: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next read after a like, an unlike, a privacy change or a deletion shows it, though
    each read before it warmed the cache; with Redis dead every read goes to the database."""
    cache: Cache = RedisCache("redis://127.0.0.1:1/0") if redis else MemoryCache()
    owner, fan, other = (make_user(session, n, 0) for n in ("yan", "zoe", "abe"))
    a, b, c = (make_image(session, owner) for _ in range(3))
    mine = make_image(session, fan, private=True)
    for image_id in (a, b, c, mine):
        _store_files(storage, session, image_id)
    assert _liked(session, cache, fan) == []
    likes.like_image(session, cache, fan, a)
    assert _liked(session, cache, fan) == [(a, 1, False)]
    likes.like_image(session, cache, fan, b)
    likes.like_image(session, cache, fan, mine)
    assert _liked(session, cache, fan) == [(mine, 1, True), (b, 1, False), (a, 1, False)]
    likes.like_image(session, cache, other, b)  # someone else's like moves b's count
    assert _liked(session, cache, fan)[1] == (b, 2, False)
    likes.unlike_image(session, cache, fan, a)
    assert [i for i, _n, _p in _liked(session, cache, fan)] == [mine, b]

    # b turns private: gone from fan's likes; public again: back, on its old place.
    set_image_privacy(session, storage, owner, b, True, cache=cache)
    assert _liked(session, cache, fan) == [(mine, 1, True)]
    assert [x.id for x in likes.liked_images(session, cache, owner, user_id=fan).items] == [
        b  # the owner of b still sees it on fan's list; fan's own private image is hidden
    ]
    set_image_privacy(session, storage, owner, b, False, cache=cache)
    assert [i for i, _n, _p in _liked(session, cache, fan)] == [mine, b]
    # fan's own image: made public shows as public, a comment on it moves its count.
    set_image_privacy(session, storage, fan, mine, False, cache=cache)
    assert _liked(session, cache, fan)[0] == (mine, 1, False)
    set_image_privacy(session, storage, fan, mine, True, cache=cache)
    assert _liked(session, cache, fan)[0] == (mine, 1, True)
    comments.add_comment(session, cache, fan, mine, "mine")
    page = likes.liked_images(session, cache, fan).items
    assert (page[0].id, page[0].comment_count) == (mine, 1)

    # Deletions: an image, then a whole set (delete_set bumps the app's cache: this one).
    delete_image(session, storage, owner, b, cache=cache)
    assert [i for i, _n, _p in _liked(session, cache, fan)] == [mine]
    likes.like_image(session, cache, fan, c)
    monkeypatch.setattr(sets, "get_cache", lambda: cache)
    assert [i for i, _n, _p in _liked(session, cache, fan)] == [c, mine]
    set_id = _image(session, c).set_id
    sets.delete_set(session, owner, set_id, storage)
    assert [i for i, _n, _p in _liked(session, cache, fan)] == [mine]


def test_has_liked_many_at_once(session: Session, cache: MemoryCache) -> None:
    owner, fan = make_user(session, "wes", 0), make_user(session, "xia", 0)
    ids = [make_image(session, owner) for _ in range(3)]
    likes.like_image(session, cache, fan, ids[0])
    likes.like_image(session, cache, fan, ids[2])
    assert likes.has_liked(session, fan, [*ids, ids[0], 12345]) == {ids[0], ids[2]}
    assert likes.has_liked(session, owner, ids) == set()
    assert likes.has_liked(session, None, ids) == set()
    assert likes.has_liked(session, fan, []) == set()
