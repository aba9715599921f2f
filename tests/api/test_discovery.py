"""The JSON read API (explore, image page) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.api import create_api, discovery
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.db import session_scope
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.services.social import likes
from pixel_studio.services.studio import images
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage.local import LocalStorage
from tests.api.test_media import make_image


@pytest.fixture
def memory() -> MemoryCache:
    return MemoryCache()


@pytest.fixture
def client(db: Engine, settings: Settings, memory: MemoryCache) -> Iterator[TestClient]:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s

    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[db_session] = session_override
    api.dependency_overrides[get_cache] = lambda: memory
    api.dependency_overrides[discovery.explore_deps] = lambda: (
        settings,
        memory,
        lambda: session_scope(db),
    )
    with TestClient(api) as c:
        yield c


def world(db: Engine, settings: Settings) -> tuple[int, int, str, str]:
    """Public and private image ids of `owner`; session tokens for the owner and another."""
    storage = LocalStorage(settings)
    with Session(db, expire_on_commit=False) as s:
        owner = users.create_user(s, "owner", "o@example.com", "longenough", bonus=0)
        other = users.create_user(s, "other", "x@example.com", "longenough", bonus=0)
        public = make_image(s, storage, owner.id or 0, private=False)
        private = make_image(s, storage, owner.id or 0, private=True)
        owner_token = auth.create_session(s, owner.id or 0, settings)
        other_token = auth.create_session(s, other.id or 0, settings)
        s.commit()
        return public.id or 0, private.id or 0, owner_token, other_token


def test_explore_lists_public_images_only_and_follows_changes(
    client: TestClient, db: Engine, settings: Settings, memory: MemoryCache
) -> None:
    public, _private, _o, _x = world(db, settings)
    r = client.get("/api/v1/explore", params={"q": "fox"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    page = r.json()
    assert [c["id"] for c in page["items"]] == [public] and page["next_cursor"] is None
    card = page["items"][0]
    assert card["creator_username"] == "owner" and card["like_count"] == 0
    assert card["thumbnail_url"].startswith("/media/images/")
    # Served from the cache now; a like bumps PUBLIC_IMAGES and the next read shows it.
    with Session(db) as s:
        other = users.find_by_username(s, "other")
        assert other is not None and other.id is not None
        likes.like_image(s, memory, other.id, public)
    assert client.get("/api/v1/explore").json()["items"][0]["like_count"] == 1
    assert client.get("/api/v1/explore", params={"q": "zebra"}).json()["items"] == []


@pytest.mark.parametrize(
    "params",
    [{"sort": "oldest"}, {"limit": "0"}, {"limit": "61"}, {"window": "1y"}, {"q": "x" * 201}],
)
def test_explore_refuses_bad_queries_as_json(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/v1/explore", params=params)
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == "invalid_input"  # the REST API's error shape


def test_explore_bad_cursor_is_a_400_with_its_field(client: TestClient) -> None:
    r = client.get("/api/v1/explore", params={"cursor": "not-ours"})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "cursor"


def test_image_detail_follows_the_visibility_rule(
    client: TestClient, db: Engine, settings: Settings
) -> None:
    public, private, owner_token, other_token = world(db, settings)
    r = client.get(f"/api/v1/images/{public}")
    assert r.status_code == 200
    body = r.json()
    assert body["image"]["id"] == public and body["image"]["prompt"] == "a red fox"
    assert body["is_owner"] is False and body["viewer_has_liked"] is False
    assert body["image"]["url"].startswith("/media/images/")
    # An 8 px picture: its WebP thumbnail holds every pixel, so the page shows that.
    assert body["image"]["display_url"] == body["image"]["thumbnail_url"] != body["image"]["url"]

    for token in (None, other_token):
        client.cookies.clear()
        if token:
            client.cookies.set(SESSION_COOKIE, token)
        r = client.get(f"/api/v1/images/{private}")
        assert r.status_code == 404 and "private" in r.json()["error"]["message"]
    client.cookies.set(SESSION_COOKIE, owner_token)
    r = client.get(f"/api/v1/images/{private}")
    assert r.status_code == 200 and r.json()["is_owner"] is True
    assert r.json()["image"]["url"] != body["image"]["url"]  # a signed, viewer-bound URL


@pytest.mark.parametrize("image_id", ["0", "-1", "abc", str(2**31), "999999"])
def test_image_detail_bad_or_missing_ids_are_json(client: TestClient, image_id: str) -> None:
    r = client.get(f"/api/v1/images/{image_id}")
    assert r.status_code in (404, 422) and r.headers["content-type"] == "application/json"


def test_visitor_image_page_is_served_warm_without_a_session(
    client: TestClient, db: Engine, settings: Settings, memory: MemoryCache
) -> None:
    public, _private, owner_token, other_token = world(db, settings)
    opened: list[str] = []

    def counting_sessions() -> Iterator[Session]:
        opened.append("read")
        with session_scope(db) as s:
            yield s

    def counting_db_session() -> Iterator[Session]:
        opened.append("dependency")
        with Session(db, expire_on_commit=False) as s:
            yield s

    api = client.app
    api.dependency_overrides[db_session] = counting_db_session  # type: ignore[attr-defined]
    api.dependency_overrides[discovery.explore_deps] = lambda: (  # type: ignore[attr-defined]
        settings,
        memory,
        contextmanager(counting_sessions),
    )
    first = client.get(f"/api/v1/images/{public}")
    assert first.status_code == 200 and len(opened) == 1  # the miss loads it
    for _ in range(3):
        again = client.get(f"/api/v1/images/{public}")
        assert again.content == first.content
        assert again.headers["cache-control"] == "private, no-store"
    assert len(opened) == 1  # warm visitor reads: no session at all

    # The viewer's part is never taken from the visitors' entry.
    with Session(db) as s:
        other = users.find_by_username(s, "other")
        assert other is not None and other.id is not None
        likes.like_image(s, memory, other.id, public)
    client.cookies.set(SESSION_COOKIE, other_token)
    mine = client.get(f"/api/v1/images/{public}").json()
    assert mine["viewer_has_liked"] is True and mine["is_owner"] is False
    client.cookies.set(SESSION_COOKIE, owner_token)
    assert client.get(f"/api/v1/images/{public}").json()["is_owner"] is True
    client.cookies.clear()
    visitor = client.get(f"/api/v1/images/{public}").json()  # the like bumped the image
    assert visitor["viewer_has_liked"] is False and visitor["image"]["like_count"] == 1
    # A bad Bearer token is refused even though the page is cached for visitors.
    r = client.get(f"/api/v1/images/{public}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_visitor_image_page_follows_privacy_after_it_was_cached(
    client: TestClient, db: Engine, settings: Settings, memory: MemoryCache
) -> None:
    public, _private, _o, _x = world(db, settings)
    assert client.get(f"/api/v1/images/{public}").status_code == 200  # now cached
    with Session(db) as s:
        owner = users.find_by_username(s, "owner")
        assert owner is not None and owner.id is not None
        storage = LocalStorage(settings)
        images.set_image_privacy(s, storage, owner.id, public, True, cache=memory)
    r = client.get(f"/api/v1/images/{public}")
    assert r.status_code == 404 and "private" in r.json()["error"]["message"]
