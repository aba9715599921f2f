"""A suspension over HTTP (SQLite and PostgreSQL): the suspended user's API token and session
cookie stop working, and their public image leaves the REST API's explore, image page (whose
visitor copy is cached as finished bytes), user listing and share link, for others; restore
brings it back. The caches are warm before each change."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.cache import MemoryCache
from pixel_studio.models import User
from pixel_studio.services.moderation import admin
from pixel_studio.settings import Settings
from tests.api.rest_helpers import api_client, bearer, make_world


def _public_reads(client, w) -> list[int]:  # type: ignore[no-untyped-def]
    """Status of each public read of alice's public image, as bob and as a visitor."""
    image = f"/api/v1/images/{w.public}"
    explore = client.get("/api/v1/explore").json()["items"]
    listed = client.get("/api/v1/users/alice/images", headers=bearer(w.bob_token))
    return [
        client.get(image).status_code,
        client.get(image, headers=bearer(w.bob_token)).status_code,
        200 if any(i["id"] == w.public for i in explore) else 404,
        listed.status_code if listed.status_code != 200 or listed.json()["items"] else 404,
        client.get(f"/share/image/{w.public}").status_code,
    ]


def test_suspension_and_restore_over_http(db: Engine, settings: Settings) -> None:
    memory = MemoryCache()
    w = make_world(db, settings)
    with Session(db, expire_on_commit=False) as s:
        root = User(username="root", email="root@example.com", is_admin=True)
        s.add(root)
        s.commit()
        root_id = root.id
    with api_client(db, settings, memory) as client:
        assert client.get("/api/v1/me", headers=bearer(w.alice_token)).status_code == 200
        cookie = {"cookie": f"ps_session={w.alice_cookie}"}
        own_private = f"/api/v1/images/{w.private}"  # readable with her session cookie only
        assert client.get(own_private, headers=cookie).status_code == 200
        assert _public_reads(client, w) == [200] * 5  # warm: the visitor's page is cached
        with Session(db) as s:
            admin.set_suspended(s, memory, root_id, w.alice, True, "spam")
        assert client.get("/api/v1/me", headers=bearer(w.alice_token)).status_code == 401
        assert client.get(own_private, headers=cookie).status_code == 404  # a visitor now
        assert _public_reads(client, w) == [404] * 5
        with Session(db) as s:
            admin.set_suspended(s, memory, root_id, w.alice, False, "appeal")
        assert _public_reads(client, w) == [200] * 5
        assert client.get("/api/v1/me", headers=bearer(w.alice_token)).status_code == 200
