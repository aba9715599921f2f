"""Explore: visibility, search (stemming, hostile input), filters, sorts, keyset pages, cache."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Select
from sqlmodel import Session

from pixel_studio import direct_rows
from pixel_studio.cache import MemoryCache, RedisCache
from pixel_studio.db import utcnow
from pixel_studio.models import Image, User, hot_score
from pixel_studio.services import cached
from pixel_studio.services.errors import InvalidInput
from pixel_studio.services.social import explore as explore_module
from pixel_studio.services.social.explore import ExploreQuery, explore, load_explore
from pixel_studio.services.social.ranking import update_hot_score
from tests.services.discovery_helpers import add_image
from tests.services.generation_helpers import make_user


def _ids(session: Session, **fields: object) -> list[int]:
    return [c.id for c in load_explore(session, ExploreQuery.model_validate(fields)).items]


def _all_pages(session: Session, **fields: object) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(50):
        page = load_explore(session, ExploreQuery.model_validate({**fields, "cursor": cursor}))
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("pagination never ended")


def test_only_public_images_newest_first_with_card_fields(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    now = utcnow()
    old = add_image(session, ann, "an old fox", at=now - timedelta(hours=2), title="Old")
    hidden = add_image(session, ann, "a secret fox", private=True)
    new = add_image(session, ann, "a new fox", at=now - timedelta(hours=1))
    page = load_explore(session, ExploreQuery())
    assert [c.id for c in page.items] == [new, old] and hidden not in page.items
    card = page.items[1]
    assert (card.title, card.creator_username, card.private) == ("Old", "ann", False)
    assert card.thumbnail_key.endswith(".webp") and page.next_cursor is None


def test_search_stems_and_covers_titles_and_never_raises(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    fox = add_image(session, ann, "two foxes jumping over a fence")
    titled = add_image(session, ann, "orange animal", title="The running Fox")
    cat = add_image(session, ann, "a cat asleep")
    add_image(session, ann, "a private fox", private=True)
    assert sorted(_ids(session, q="fox")) == sorted([fox, titled])
    assert sorted(_ids(session, q="Foxes")) == sorted([fox, titled])
    assert _ids(session, q="the fox run") == [titled]
    assert _ids(session, q="fox -fence") == [titled]
    assert _ids(session, q="cats") == [cat]
    assert _ids(session, q="dragon") == []
    for hostile in ['"', 'fox"', "AND OR NOT", "(*)", "-", "'; DROP TABLE image; --", "NEAR(a b)",
                    "fox*", "^", ":", "!!!", "\\", "a" * 200]:  # fmt: skip
        _ids(session, q=hostile)  # answers, whatever it finds
    assert _ids(session, q='"fox"') == _ids(session, q="fox")


def test_filters_by_model_and_style(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    vivid = add_image(session, ann, "sunset", model="openai", params={"style": "vivid"})
    add_image(session, ann, "sunset", model="openai", params={"style": "natural"})
    local = add_image(session, ann, "sunset")
    anime = add_image(session, ann, "sunset", params={"style_preset": "anime"})
    add_image(session, ann, "sunset", params={"style_preset": "none"})
    assert _ids(session, style="vivid") == [vivid]
    assert _ids(session, style="anime") == [anime]  # the create page's style presets too
    assert set(_ids(session, model="local-sketch", q="sunset")) >= {local, anime}
    stored = session.get(Image, vivid)
    assert stored is not None and stored.style == "vivid"  # filled at insert from params


def test_keyset_pages_cover_every_image_once_for_every_sort(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    now = utcnow()
    ids = [
        add_image(session, ann, f"fox number {i}", at=now - timedelta(minutes=i), likes=i % 3)
        for i in range(11)
    ]
    for sort in ("recent", "liked", "trending"):
        for q in (None, "fox"):
            got = _all_pages(session, sort=sort, q=q, limit=3)
            assert sorted(got) == sorted(ids), (sort, q)
    assert _all_pages(session, limit=4) == ids  # newest first
    liked = _all_pages(session, sort="liked", limit=4)
    counts = [i % 3 for i in range(11)]
    assert [counts[ids.index(i)] for i in liked] == sorted(counts, reverse=True)


def test_trending_is_the_window_by_hot_score(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    now = utcnow()
    fresh = add_image(session, ann, "fresh", at=now - timedelta(hours=1))
    liked = add_image(session, ann, "liked", at=now - timedelta(hours=3), likes=50)
    week = add_image(session, ann, "week old", at=now - timedelta(days=3), likes=900)
    assert _ids(session, sort="trending", window="24h") == [liked, fresh]
    assert _ids(session, sort="trending", window="7d")[:2] == [liked, fresh]
    assert week in _ids(session, sort="trending", window="7d")
    # A like raises the score (the likes service calls update_hot_score in its transaction).
    image = session.get(Image, fresh)
    assert image is not None
    image.like_count = 5000
    session.add(image)
    session.flush()
    update_hot_score(session, fresh)
    session.commit()
    session.refresh(image)
    assert image.hot == pytest.approx(hot_score(5000, image.created_at))
    assert _ids(session, sort="trending", window="24h") == [fresh, liked]


def test_a_bad_cursor_is_a_clear_error(session: Session) -> None:
    for cursor in ("garbage", "e30", "WyJsaWtlZCIsMSwxXQ"):  # last: a "liked" cursor
        with pytest.raises(InvalidInput):
            load_explore(session, ExploreQuery(cursor=cursor))


def test_cached_pages_change_on_the_next_read_after_a_bump(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    cache = MemoryCache()
    first = add_image(session, ann, "first")
    assert [c.id for c in explore(session, cache, ExploreQuery()).items] == [first]
    second = add_image(session, ann, "second")
    # Not bumped: the cached page is served (proves the cache is used) ...
    assert [c.id for c in explore(session, cache, ExploreQuery()).items] == [first]
    cached.bump(cache, cached.PUBLIC_IMAGES)  # ... what the image writers do after commit
    assert [c.id for c in explore(session, cache, ExploreQuery()).items] == [second, first]


def test_reads_answer_with_redis_down(session: Session) -> None:
    ann = make_user(session, "ann", 0)
    image = add_image(session, ann, "fox")
    dead = RedisCache("redis://127.0.0.1:1/0")
    assert [c.id for c in explore(session, dead, ExploreQuery(q="fox")).items] == [image]


def test_statements_are_built_once_per_shape_with_the_page_size_inline(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = make_user(session, "shapes", 0)
    ids = [add_image(session, owner, f"fox number {i}") for i in range(5)]
    pages = [load_explore(session, ExploreQuery(limit=2, q="fox"))]
    pages.append(load_explore(session, ExploreQuery(limit=2, q="fox", cursor=pages[0].next_cursor)))
    built = [f.cache_info().misses for f in (explore_module._probe_stmt, explore_module._fts5_stmt)]
    statements: list[str] = []
    run = explore_module.select_rows

    def grab(connection: Connection, stmt: Select[Any], values: Any) -> Any:
        statements.append(direct_rows._plan(stmt, connection.dialect).sql)  # the SQL sent
        return run(connection, stmt, values)

    monkeypatch.setattr(explore_module, "select_rows", grab)
    # another cursor value, the same shape: nothing is built again, only values differ
    pages.append(load_explore(session, ExploreQuery(limit=2, q="fox", cursor=pages[1].next_cursor)))
    assert [
        f.cache_info().misses for f in (explore_module._probe_stmt, explore_module._fts5_stmt)
    ] == built
    assert sorted(c.id for p in pages for c in p.items) == sorted(ids)
    assert statements and all("LIMIT 3" in s for s in statements)  # limit + 1, in the SQL


def test_a_suspended_or_deleted_owners_images_leave_every_path(session: Session) -> None:
    """The visibility rule in each statement: the page walk, the search probe (a common word:
    more matches than a page), the gathered matches (a rare word) and SQLite's FTS5 path."""
    ann, bob, cy = (make_user(session, name, 0) for name in ("ann", "bob", "cyd"))
    shown = [add_image(session, ann, f"a fox number {i}") for i in range(3)]
    rare = add_image(session, ann, "a quokka")
    for owner in (bob, cy):
        add_image(session, owner, "a fox of theirs")
        add_image(session, owner, "a quokka of theirs")
    hidden = [session.get(User, bob), session.get(User, cy)]
    hidden[0].suspended_at = utcnow()  # type: ignore[union-attr]
    hidden[1].deleted_at = utcnow()  # type: ignore[union-attr]
    session.commit()
    assert sorted(_ids(session)) == sorted([*shown, rare])
    assert sorted(_ids(session, q="fox", limit=2)) == sorted(shown)[1:]  # a page of matches
    assert sorted(_all_pages(session, q="fox", limit=2)) == sorted(shown)
    assert _ids(session, q="quokka") == [rare]
