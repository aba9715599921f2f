"""Following feed, profiles and the image page: visibility, keyset pages, cache freshness."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from pixel_studio.cache import MemoryCache, RedisCache
from pixel_studio.db import utcnow
from pixel_studio.models import Follow, Image, Like, User
from pixel_studio.services import cached
from pixel_studio.services.errors import InvalidInput, NotFound
from pixel_studio.services.social.explore import ExploreQuery, explore
from pixel_studio.services.social.feed import following_feed
from pixel_studio.services.social.profiles import get_profile, profile_images, profile_sets
from pixel_studio.services.studio import image_detail
from pixel_studio.services.studio.image_detail import get_image_detail, set_image_title
from tests.services.discovery_helpers import add_image
from tests.services.generation_helpers import make_user


def _follow(session: Session, follower: int, followee: int) -> None:
    session.add(Follow(follower_id=follower, followee_id=followee))
    session.commit()


def test_feed_shows_public_images_of_followees_newest_first_in_pages(session: Session) -> None:
    me, ann, bob, cid = (make_user(session, n, 0) for n in ("meg", "ann", "bob", "cid"))
    now = utcnow()
    mine = [add_image(session, ann, f"a{i}", at=now - timedelta(minutes=i)) for i in range(5)]
    mine.insert(2, add_image(session, bob, "b", at=now - timedelta(minutes=1, seconds=30)))
    add_image(session, ann, "secret", private=True)
    add_image(session, cid, "not followed")
    _follow(session, me, ann)
    _follow(session, me, bob)
    cache = MemoryCache()
    seen: list[int] = []
    cursor = None
    while True:
        page = following_feed(session, cache, me, cursor=cursor, limit=4)
        seen += [c.id for c in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == mine
    assert following_feed(session, cache, cid).items == []


def test_feed_follows_a_new_follow_on_the_next_read(session: Session) -> None:
    me, ann = make_user(session, "meg", 0), make_user(session, "ann", 0)
    image = add_image(session, ann, "hello")
    cache = MemoryCache()
    assert following_feed(session, cache, me).items == []
    _follow(session, me, ann)
    cached.bump(cache, cached.follows_scope(me))  # what services/social/follows does after commit
    assert [c.id for c in following_feed(session, cache, me).items] == [image]


def test_profile_counts_and_images_for_owner_and_others(session: Session) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    public = add_image(session, ann, "public one")
    private = add_image(session, ann, "private one", private=True)
    _follow(session, bob, ann)
    cache = MemoryCache()
    seen = get_profile(session, cache, bob, "ann")
    assert (seen.image_count, seen.follower_count, seen.following_count) == (1, 1, 0)
    assert seen.viewer_follows and not seen.is_owner
    own = get_profile(session, cache, ann, "ann")
    assert own.image_count == 2 and own.is_owner and not own.viewer_follows
    assert not get_profile(session, cache, None, "ann").viewer_follows  # not from bob's read
    assert [c.id for c in profile_images(session, cache, bob, "ann").items] == [public]
    cards = profile_images(session, cache, ann, "ann").items
    assert [(c.id, c.private) for c in cards] == [(private, True), (public, False)]
    with pytest.raises(NotFound):
        get_profile(session, cache, None, "nobody")


def test_profile_sets_hide_sets_without_a_public_image(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    now = utcnow()
    shown = [add_image(session, ann, f"s{i}", at=now - timedelta(minutes=i)) for i in range(3)]
    add_image(session, ann, "hidden set", private=True)
    cache = MemoryCache()
    first = profile_sets(session, cache, None, "ann", limit=2)
    assert first.next_cursor is not None and len(first.items) == 2
    rest = profile_sets(session, cache, None, "ann", cursor=first.next_cursor, limit=2)
    cards = first.items + rest.items
    assert [c.prompt for c in cards] == [
        "s2",
        "s1",
        "s0",
    ] and rest.next_cursor is None  # set rows: newest
    assert all(c.image_count == 1 and c.cover_thumbnail_key for c in cards)
    assert len(shown) == 3
    assert len(profile_sets(session, cache, ann, "ann").items) == 4  # the owner sees all
    with pytest.raises(InvalidInput):
        profile_sets(session, cache, None, "ann", cursor="nonsense")


def test_image_detail_visibility_like_and_owner(session: Session) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    image = add_image(session, ann, "a fox", params={"style": "vivid", "steps": 4})
    secret = add_image(session, ann, "secret", private=True)
    session.add(Like(user_id=bob, image_id=image))
    session.commit()
    cache = MemoryCache()
    seen = get_image_detail(session, cache, bob, image)
    assert seen.viewer_has_liked and not seen.is_owner
    assert seen.image.params["steps"] == 4 and seen.image.creator_username == "ann"
    # The same shared entry, read by the owner: per-viewer parts are not in it.
    own = get_image_detail(session, cache, ann, image)
    assert own.is_owner and not own.viewer_has_liked
    assert get_image_detail(session, cache, ann, secret).image.private
    for viewer in (bob, None):
        with pytest.raises(NotFound):
            get_image_detail(session, cache, viewer, secret)
    with pytest.raises(NotFound):
        get_image_detail(session, cache, ann, 999_999)


def test_set_title_is_seen_at_once_everywhere_and_searchable(session: Session) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    image = add_image(session, ann, "orange animal")
    cache = MemoryCache()
    assert get_image_detail(session, cache, bob, image).image.title is None
    assert explore(session, cache, ExploreQuery(q="badger")).items == []
    assert set_image_title(session, cache, ann, image, "  Badger   at dawn ") == "Badger at dawn"
    assert get_image_detail(session, cache, bob, image).image.title == "Badger at dawn"
    assert [c.id for c in explore(session, cache, ExploreQuery(q="badgers")).items] == [image]
    with pytest.raises(NotFound):
        set_image_title(session, cache, bob, image, "mine now")
    with pytest.raises(InvalidInput):
        set_image_title(session, cache, ann, image, "x" * 121)
    assert set_image_title(session, cache, ann, image, "   ") is None
    assert get_image_detail(session, cache, bob, image).image.title is None


def test_every_read_answers_with_redis_down(session: Session) -> None:
    ann, bob = make_user(session, "ann", 0), make_user(session, "bob", 0)
    image = add_image(session, ann, "fox")
    _follow(session, bob, ann)
    dead = RedisCache("redis://127.0.0.1:1/0")
    assert [c.id for c in following_feed(session, dead, bob).items] == [image]
    assert get_profile(session, dead, bob, "ann").follower_count == 1
    assert len(profile_images(session, dead, None, "ann").items) == 1
    assert len(profile_sets(session, dead, None, "ann").items) == 1
    assert set_image_title(session, dead, ann, image, "Fox") == "Fox"
    assert get_image_detail(session, dead, bob, image).image.title == "Fox"


def test_the_picture_a_visitor_s_image_page_shows(session: Session) -> None:
    """What the image page's HTML preloads (api/static_cache.py): only what a visitor sees."""
    cache = MemoryCache()
    ann = make_user(session, "ann", 0)
    shown = add_image(session, ann, "a fox")
    private = add_image(session, ann, "a secret fox", private=True)
    image = session.get(Image, shown)
    assert image is not None
    image.width, image.height = 1024, 768
    session.commit()
    assert image_detail.visitor_picture_key(session, cache, shown) == image.original_key
    # Up to 512 px the page shows its WebP thumbnail: every pixel, a fraction of the bytes.
    image.width, image.height = 512, 384
    session.commit()
    assert image_detail.visitor_picture_key(session, MemoryCache(), shown) == image.thumbnail_key
    assert image_detail.visitor_picture_key(session, cache, private) is None
    assert image_detail.visitor_picture_key(session, cache, 10**6) is None
    bob = make_user(session, "bob", 0)
    theirs = add_image(session, bob, "a fox of bob's")
    owner = session.get(User, bob)
    assert owner is not None
    owner.suspended_at = utcnow()
    session.commit()
    assert image_detail.visitor_picture_key(session, MemoryCache(), theirs) is None
