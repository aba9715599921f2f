"""The write tier in the social services: likes, comments, follows and collections share one
per-user allowance; past it RateLimited (with retry_after) and nothing is written; other
users are unaffected; the window recovers. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlmodel import Session, func, select

from pixel_studio.cache import MemoryCache
from pixel_studio.models import Collection, Comment, Follow, Like
from pixel_studio.services.errors import RateLimited
from pixel_studio.services.social import collections, comments, follows, likes
from pixel_studio.settings import get_settings
from tests.services.social_helpers import Bell, make_image, make_user


@pytest.fixture
def tiny_write_tier(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RATE_LIMIT_WRITE", "4 per 1 second")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _rows(session: Session) -> tuple[int, ...]:
    return tuple(
        session.exec(select(func.count()).select_from(table)).one()
        for table in (Like, Comment, Follow, Collection)
    )


def test_social_writes_share_one_allowance_per_user(
    session: Session, cache: MemoryCache, tiny_write_tier: None
) -> None:
    ann, ben, cat = (make_user(session, n, 0) for n in ("ann", "ben", "cat"))
    image = make_image(session, cat)
    bell = Bell()
    likes.like_image(session, cache, ann, image, publish=bell)
    made = comments.add_comment(session, cache, ann, image, "nice", publish=bell)
    follows.follow(session, cache, ann, cat, publish=bell)
    shelf = collections.create_collection(session, cache, ann, "Shelf")
    before = _rows(session)
    refused = [
        lambda: likes.unlike_image(session, cache, ann, image, publish=bell),
        lambda: comments.add_comment(session, cache, ann, image, "again", publish=bell),
        lambda: comments.like_comment(session, cache, ann, made.id),
        lambda: comments.delete_comment(session, cache, ann, made.id),
        lambda: follows.unfollow(session, cache, ann, cat, publish=bell),
        lambda: collections.add_image(session, cache, ann, shelf.id or 0, image),
        lambda: collections.rename_collection(session, cache, ann, shelf.id or 0, "New"),
        lambda: collections.delete_collection(session, cache, ann, shelf.id or 0),
    ]
    for write in refused:
        with pytest.raises(RateLimited) as err:
            write()
        assert err.value.retry_after == 1 and "Try again in about 1 second" in err.value.message
    assert _rows(session) == before  # nothing written by a refused request
    # Another user is not slowed down.
    likes.like_image(session, cache, ben, image, publish=bell)
    follows.follow(session, cache, ben, cat, publish=bell)
    time.sleep(1.05)  # the window has moved on
    assert likes.unlike_image(session, cache, ann, image, publish=bell).liked is False
