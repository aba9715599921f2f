"""REST API v1, issue 15: what the UI does and the API could not (sets, cancelling a job,
image title/privacy/deletion, the feed, liked images, notifications, comparisons), over HTTP
with personal tokens, on SQLite and PostgreSQL.

Each route is checked for its owner, for user B (someone else's private set or image is a
404, exactly like a missing one; their public one may be read but not changed) and for a
visitor (401 wherever a token is needed).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pixel_studio import events
from pixel_studio.models import Image, ImageSet
from pixel_studio.services.accounts import api_tokens
from pixel_studio.services.social import follows
from pixel_studio.services.studio import compare, generation
from pixel_studio.settings import Settings
from tests.api.rest_helpers import assert_error, bearer, make_world


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs are paid for and recorded but queued nowhere; events go to no page."""
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    monkeypatch.setattr(compare, "enqueue_job", lambda job_id, settings=None: None)
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)


def set_of(db: Engine, image_id: int) -> int:
    with Session(db) as s:
        return int(s.exec(select(Image.set_id).where(col(Image.id) == image_id)).one())


def test_sets_list_read_and_delete_obey_the_visibility_rule(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)
    public_set, private_set = set_of(db, w.public), set_of(db, w.private)

    first = client.get("/api/v1/sets", headers=a, params={"limit": 1})
    assert first.status_code == 200, first.text
    page = first.json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    second = client.get("/api/v1/sets", headers=a, params={"cursor": page["next_cursor"]}).json()
    ids = [page["items"][0]["id"]] + [s["id"] for s in second["items"]]
    assert sorted(ids) == sorted([public_set, private_set]) and second["next_cursor"] is None
    assert page["items"][0]["status"] == "succeeded" and page["items"][0]["image_count"] == 1
    assert client.get("/api/v1/sets", headers=b).json()["items"] == []  # bob's own: none
    err = assert_error(client.get("/api/v1/sets", headers=a, params={"seed": "x"}), 400)
    assert err["field"] == "seed"
    assert_error(client.get("/api/v1/sets", headers=a, params={"cursor": "nope"}), 400)

    mine = client.get(f"/api/v1/sets/{private_set}", headers=a).json()
    assert mine["is_owner"] and mine["job"]["status"] == "succeeded"
    assert [i["id"] for i in mine["images"]] == [w.private]
    theirs = client.get(f"/api/v1/sets/{public_set}", headers=b).json()
    assert theirs["is_owner"] is False and theirs["job"] is None
    assert_error(client.get(f"/api/v1/sets/{private_set}", headers=b), 404, "not_found")
    assert_error(client.get("/api/v1/sets/999999", headers=a), 404, "not_found")

    # A visitor: the list and every write need a token; a public set may be read.
    assert_error(client.get("/api/v1/sets"), 401)
    assert_error(client.delete(f"/api/v1/sets/{public_set}"), 401)
    assert client.get(f"/api/v1/sets/{public_set}").status_code == 200
    assert_error(client.get(f"/api/v1/sets/{private_set}"), 404)

    # Bob deletes nothing of alice's: private is a 404 (not revealed), public a 403.
    assert_error(client.delete(f"/api/v1/sets/{private_set}", headers=b), 404)
    assert_error(client.delete(f"/api/v1/sets/{public_set}", headers=b), 403, "forbidden")
    with Session(db, expire_on_commit=False) as s:
        reader = api_tokens.create_token(s, w.alice, "ro", scope="read").secret
    r = client.delete(f"/api/v1/sets/{private_set}", headers=bearer(reader))
    assert_error(r, 403, "read_only_token")
    assert client.delete(f"/api/v1/sets/{private_set}", headers=a).status_code == 204
    assert_error(client.get(f"/api/v1/sets/{private_set}", headers=a), 404)
    with Session(db) as s:
        assert s.get(ImageSet, private_set) is None and s.get(Image, w.private) is None


def test_cancel_a_job(client: TestClient, db: Engine, settings: Settings) -> None:  # noqa: F811
    w = make_world(db, settings)
    a = bearer(w.alice_token)
    body = {"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256", "count": 2}
    job = client.post("/api/v1/generations", headers=a, json=body).json()
    assert client.get("/api/v1/me", headers=a).json()["credits"] == 3

    assert_error(client.post(f"/api/v1/generations/{job['id']}/cancel"), 401)
    r = client.post(f"/api/v1/generations/{job['id']}/cancel", headers=bearer(w.bob_token))
    assert_error(r, 404, "not_found")
    r = client.post(f"/api/v1/generations/{job['id']}/cancel", headers=a)
    assert r.status_code == 200, r.text
    done = r.json()["job"]
    assert (done["status"], done["credits_refunded"]) == ("cancelled", 2)
    assert "refunded" in done["message"]
    assert client.get("/api/v1/me", headers=a).json()["credits"] == 5
    err = assert_error(client.post(f"/api/v1/generations/{job['id']}/cancel", headers=a), 400)
    assert err["field"] == "job" and "already cancelled" in err["message"]


def test_image_title_privacy_and_delete(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)
    r = client.patch(f"/api/v1/images/{w.public}", headers=a, json={"title": "  Red   fox "})
    assert r.status_code == 200, r.text
    assert r.json()["image"]["title"] == "Red fox"
    r = client.patch(f"/api/v1/images/{w.public}", headers=a, json={"private": True})
    image = r.json()["image"]
    assert image["private"] is True and "/media/" in image["url"]
    assert_error(client.get(f"/api/v1/images/{w.public}", headers=b), 404)  # now hidden
    r = client.patch(f"/api/v1/images/{w.public}", headers=a, json={"title": None})
    assert r.json()["image"]["title"] is None
    long_title = {"title": "x" * 121}
    err = assert_error(client.patch(f"/api/v1/images/{w.public}", headers=a, json=long_title), 400)
    assert err["field"] == "title"
    assert_error(client.patch(f"/api/v1/images/{w.public}", headers=a, json={"x": 1}), 422)

    # Bob: someone else's image is a 404 whatever he sends, and nothing changes.
    for body in ({"title": "mine"}, {"private": False}, {}):
        assert_error(client.patch(f"/api/v1/images/{w.private}", headers=b, json=body), 404)
    assert_error(client.delete(f"/api/v1/images/{w.private}", headers=b), 404)
    assert_error(client.patch(f"/api/v1/images/{w.private}", json={"title": "t"}), 401)
    assert_error(client.delete(f"/api/v1/images/{w.private}"), 401)
    with Session(db) as s:
        kept = s.get(Image, w.private)
        assert kept is not None and kept.title is None and kept.private

    assert client.delete(f"/api/v1/images/{w.private}", headers=a).status_code == 204
    assert_error(client.get(f"/api/v1/images/{w.private}", headers=a), 404)
    assert_error(client.delete(f"/api/v1/images/{w.private}", headers=a), 404)


def test_feed_likes_and_notifications(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
    memory: Any,  # noqa: F811
) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)
    for path in ("/api/v1/feed", "/api/v1/me/likes", "/api/v1/notifications"):
        assert_error(client.get(path), 401)
    assert client.get("/api/v1/feed", headers=b).json() == {"items": [], "next_cursor": None}
    with Session(db) as s:
        follows.follow(s, memory, w.bob, w.alice)
    feed = client.get("/api/v1/feed", headers=b).json()
    assert [i["id"] for i in feed["items"]] == [w.public]  # public only, never the private one
    assert feed["items"][0]["creator_username"] == "alice"

    assert client.put(f"/api/v1/images/{w.public}/like", headers=b).status_code == 200
    liked = client.get("/api/v1/me/likes", headers=b).json()
    assert [i["id"] for i in liked["items"]] == [w.public]
    assert client.get("/api/v1/me/likes", headers=a).json()["items"] == []

    inbox = client.get("/api/v1/notifications", headers=a).json()
    assert inbox["unread"] == 2  # bob followed, then liked
    kinds = [n["kind"] for n in inbox["items"]]
    assert kinds == ["like", "follow"] and all(n["actor_username"] == "bob" for n in inbox["items"])
    page = client.get("/api/v1/notifications", headers=a, params={"limit": 1}).json()
    more = client.get("/api/v1/notifications", headers=a, params={"cursor": page["next_cursor"]})
    assert [n["kind"] for n in more.json()["items"]] == ["follow"]
    first = inbox["items"][0]["id"]
    assert_error(client.post(f"/api/v1/notifications/{first}/read", headers=b), 404)
    assert_error(client.post(f"/api/v1/notifications/{first}/read"), 401)
    r = client.post(f"/api/v1/notifications/{first}/read", headers=a)
    assert r.status_code == 200 and r.json() == {"unread": 1}
    assert client.post("/api/v1/notifications/read", headers=a).json() == {"unread": 0}
    assert client.get("/api/v1/notifications", headers=a).json()["unread"] == 0

    # Alice makes the image private: it leaves bob's feed and liked list.
    client.patch(f"/api/v1/images/{w.public}", headers=a, json={"private": True})
    assert client.get("/api/v1/feed", headers=b).json()["items"] == []
    assert client.get("/api/v1/me/likes", headers=b).json()["items"] == []


def test_compare_create_and_read(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)
    body = {
        "vary": "seed",
        "model": "local-sketch",
        "values": ["1", "2"],
        "prompt": "a fox",
        "size": "256x256",
    }
    assert_error(client.post("/api/v1/compare", json=body), 401)
    r = client.post("/api/v1/compare", headers=a, json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert len(made["jobs"]) == 2 and len(made["set_ids"]) == 2
    assert [j["params"]["seed"] for j in made["jobs"]] == [1, 2]
    assert client.get("/api/v1/me", headers=a).json()["credits"] == 3
    sets = ",".join(str(i) for i in made["set_ids"])
    read = client.get("/api/v1/compare", headers=a, params={"sets": sets}).json()
    assert [j["id"] for j in read["jobs"]] == [j["id"] for j in made["jobs"]]
    assert_error(client.get("/api/v1/compare", headers=b, params={"sets": sets}), 404)
    assert_error(client.get("/api/v1/compare", params={"sets": sets}), 401)

    twice = {**body, "values": ["1", "1"]}
    err = assert_error(client.post("/api/v1/compare", headers=a, json=twice), 400)
    assert err["field"] == "values"
    err = assert_error(client.post("/api/v1/compare", headers=b, json=body), 402)
    assert err["code"] == "insufficient_credits"
    assert_error(client.post("/api/v1/compare", headers=a, json={**body, "values": ["1"]}), 422)
