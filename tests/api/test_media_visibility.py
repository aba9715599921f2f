"""/media applies the one visibility rule (issue 13, item 8): private images, suspended owners
and deleted owners (before their files are purged) serve nothing to others; on SQLite and
PostgreSQL, with the local storage the embedded profile serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.cache import MemoryCache
from pixel_studio.db import utcnow
from pixel_studio.models import User
from pixel_studio.services import users
from pixel_studio.services.accounts import account, auth
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage.local import LocalStorage
from tests.api.test_media import make_image

PASSWORD = "longenough"


@pytest.fixture
def client(db: Engine, settings: Settings) -> Iterator[TestClient]:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s

    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[db_session] = session_override
    with TestClient(api) as c:
        yield c


class World:
    def __init__(self, db: Engine, settings: Settings) -> None:
        storage = LocalStorage(settings)
        with Session(db, expire_on_commit=False) as s:
            owner = users.create_user(s, "owner", "o@example.com", PASSWORD, bonus=0)
            other = users.create_user(s, "other", "x@example.com", PASSWORD, bonus=0)
            self.owner_id, self.other_id = owner.id or 0, other.id or 0
            public = make_image(s, storage, self.owner_id, private=False)
            private = make_image(s, storage, self.owner_id, private=True)
            self.avatar = f"avatars/u{self.owner_id}/face.webp"
            owner.avatar_key = self.avatar
            s.add(owner)
            storage.put(self.avatar, b"RIFF avatar", "image/webp")
            self.owner_token = auth.create_session(s, self.owner_id, settings)
            self.other_token = auth.create_session(s, self.other_id, settings)
            s.commit()
        self.public = [f"/media/{public.original_key}", f"/media/{public.thumbnail_key}"]
        self.private = f"/media/{private.original_key}"
        self.signed = storage.private_url(private.original_key, self.owner_id, 60)


def status(client: TestClient, url: str, token: str | None = None) -> int:
    client.cookies.clear()
    if token:
        client.cookies.set(SESSION_COOKIE, token)
    return client.get(url).status_code


def public_statuses(client: TestClient, w: World, token: str | None = None) -> list[int]:
    return [status(client, url, token) for url in [*w.public, f"/media/{w.avatar}"]]


def set_suspended(db: Engine, user_id: int, on: bool) -> None:
    with Session(db) as s:
        s.execute(
            update(User)
            .where(col(User.id) == user_id)
            .values(suspended_at=utcnow() if on else None)
        )
        s.commit()


def test_private_images_only_by_the_owners_signed_url(
    client: TestClient, db: Engine, settings: Settings
) -> None:
    w = World(db, settings)
    assert public_statuses(client, w) == [200, 200, 200]
    assert status(client, w.private) == 404
    assert status(client, w.private, w.owner_token) == 404  # unsigned: never
    assert status(client, w.signed) == 404
    assert status(client, w.signed, w.other_token) == 404
    assert status(client, w.signed, w.owner_token) == 200


def test_a_suspended_owners_files_are_hidden_until_restored(
    client: TestClient, db: Engine, settings: Settings
) -> None:
    w = World(db, settings)
    set_suspended(db, w.owner_id, True)
    assert public_statuses(client, w) == [404, 404, 404]
    assert public_statuses(client, w, w.other_token) == [404, 404, 404]
    assert status(client, w.signed, w.owner_token) == 404  # a suspended account signs nothing
    set_suspended(db, w.owner_id, False)
    assert public_statuses(client, w, w.other_token) == [200, 200, 200]
    assert status(client, w.signed, w.owner_token) == 200


def test_a_deleted_owners_files_are_hidden_before_they_are_purged(
    client: TestClient, db: Engine, settings: Settings
) -> None:
    w = World(db, settings)
    avatar_file = LocalStorage(settings).path_for(w.avatar)
    with Session(db, expire_on_commit=False) as s:
        account.request_deletion(
            s,
            MemoryCache(),
            settings,
            w.owner_id,
            password=PASSWORD,
            confirm="owner",
            session_token=w.owner_token,
        )
    assert avatar_file.is_file()  # the purge job has not run: the files are still there
    assert public_statuses(client, w) == [404, 404, 404]
    assert public_statuses(client, w, w.other_token) == [404, 404, 404]
    assert status(client, w.signed, w.owner_token) == 404
