"""The local media route: public files for anyone, private ones only by a viewer's signed URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.models import GenerationJob, Image, ImageSet
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.services.studio.images import image_url, set_image_privacy
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage.local import LocalStorage


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


def make_image(s: Session, storage: LocalStorage, owner: int, private: bool) -> Image:
    job = GenerationJob(id=f"job{private:d}", user_id=owner, total=1, status="succeeded")
    s.add(job)
    s.flush()
    image_set = ImageSet(user_id=owner, job_id=job.id, prompt="a red fox", model="local-sketch")
    s.add(image_set)
    s.flush()
    base = f"images/u{owner}/s{image_set.id}/img{private:d}"
    image = Image(
        user_id=owner,
        set_id=image_set.id or 0,
        prompt="a red fox",
        model="local-sketch",
        width=8,
        height=8,
        private=private,
        original_key=f"{base}.png",
        thumbnail_key=f"{base}.webp",
    )
    s.add(image)
    storage.put(image.original_key, b"\x89PNG fake", "image/png")
    storage.put(image.thumbnail_key, b"RIFF fake", "image/webp")
    return image


def test_public_private_and_signed(client: TestClient, db: Engine, settings: Settings) -> None:
    storage = LocalStorage(settings)
    with Session(db, expire_on_commit=False) as s:
        owner = users.create_user(s, "owner", "o@example.com", "longenough", bonus=0)
        other = users.create_user(s, "other", "x@example.com", "longenough", bonus=0)
        public = make_image(s, storage, owner.id or 0, private=False)
        private = make_image(s, storage, owner.id or 0, private=True)
        owner_token = auth.create_session(s, owner.id or 0, settings)
        other_token = auth.create_session(s, other.id or 0, settings)
        s.commit()

    r = client.get(f"/media/{public.original_key}")
    assert r.status_code == 200 and r.content == b"\x89PNG fake"
    assert r.headers["content-type"] == "image/png"
    assert "immutable" in r.headers["cache-control"]

    assert client.get(f"/media/{private.original_key}").status_code == 404
    signed = storage.private_url(private.original_key, owner.id, 60)
    client.cookies.set(SESSION_COOKIE, owner_token)
    assert client.get(signed).status_code == 200
    client.cookies.set(SESSION_COOKIE, other_token)
    assert client.get(signed).status_code == 404, "a URL issued to the owner is theirs alone"
    client.cookies.clear()
    assert client.get(signed).status_code == 404
    client.cookies.set(SESSION_COOKIE, owner_token)
    assert client.get(signed.replace("sig=", "sig=0")).status_code == 404


@pytest.mark.parametrize("key", ["../secret", "images/../../x", ".secret_key", "nope/x.png"])
def test_traversal_and_unknown_keys(client: TestClient, key: str) -> None:
    assert client.get(f"/media/{key}").status_code == 404


def test_privacy_change_rekeys_local_files(
    client: TestClient, db: Engine, settings: Settings
) -> None:
    """A URL handed out while public stops working once private, on the local backend too;
    private files are only ever served signed, and never as publicly cacheable."""
    storage = LocalStorage(settings)
    with Session(db, expire_on_commit=False) as s:
        owner = users.create_user(s, "rekey", "r@example.com", "longenough", bonus=0)
        image = make_image(s, storage, owner.id or 0, private=False)
        owner_token = auth.create_session(s, owner.id or 0, settings)
        s.commit()
        public_url = image_url(storage, image, None)
        assert client.get(public_url).status_code == 200

        image = set_image_privacy(s, storage, owner.id or 0, image.id or 0, True)
        assert image.original_key.startswith("private/")
        client.cookies.set(SESSION_COOKIE, owner_token)
        assert client.get(public_url).status_code == 404
        assert client.get(f"/media/{image.original_key}").status_code == 404, "unsigned"
        signed = image_url(storage, image, owner.id)
        r = client.get(signed)
        assert r.status_code == 200 and r.content == b"\x89PNG fake"
        assert r.headers["cache-control"].startswith("private")

        image = set_image_privacy(s, storage, owner.id or 0, image.id or 0, False)
        assert client.get(signed).status_code == 404
        assert client.get(image_url(storage, image, None)).status_code == 200
