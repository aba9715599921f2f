"""REST API v1's image and social endpoints over HTTP with personal tokens (images, likes,
comments, collections, follows, credit history), on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.models import CreditKind
from pixel_studio.services import credits
from pixel_studio.services.social import collections
from pixel_studio.settings import Settings
from tests.api.rest_helpers import (
    assert_error,
    bearer,
    make_world,
)

# ---------------------------------------------------------------- images, likes, comments


def test_images_likes_and_comments(client: TestClient, db: Engine, settings: Settings) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)

    mine = client.get("/api/v1/users/alice/images", headers=a).json()
    assert {i["id"] for i in mine["items"]} == {w.public, w.private}
    theirs = client.get("/api/v1/users/alice/images", headers=b).json()
    assert [i["id"] for i in theirs["items"]] == [w.public]
    page = client.get("/api/v1/users/alice/images", headers=a, params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(
        "/api/v1/users/alice/images", headers=a, params={"limit": 1, "cursor": page["next_cursor"]}
    ).json()
    assert len(rest["items"]) == 1 and rest["items"][0]["id"] != page["items"][0]["id"]
    assert_error(client.get("/api/v1/users/nobody/images", headers=a), 404)

    assert client.get(f"/api/v1/images/{w.public}", headers=b).json()["is_owner"] is False
    assert client.get(f"/api/v1/images/{w.private}", headers=a).json()["is_owner"] is True
    assert_error(client.get(f"/api/v1/images/{w.private}", headers=b), 404, "not_found")

    r = client.put(f"/api/v1/images/{w.public}/like", headers=b)
    assert r.json() == {"image_id": w.public, "liked": True, "like_count": 1, "changed": True}
    assert client.put(f"/api/v1/images/{w.public}/like", headers=b).json()["changed"] is False
    assert client.get(f"/api/v1/images/{w.public}", headers=b).json()["viewer_has_liked"]
    r = client.delete(f"/api/v1/images/{w.public}/like", headers=b)
    assert r.json()["liked"] is False and r.json()["like_count"] == 0
    assert_error(client.put(f"/api/v1/images/{w.private}/like", headers=b), 404)

    r = client.post(f"/api/v1/images/{w.public}/comments", headers=b, json={"body": "Lovely"})
    assert r.status_code == 201
    top = r.json()
    r = client.post(
        f"/api/v1/images/{w.public}/comments",
        headers=a,
        json={"body": "Thanks!", "parent_id": top["id"]},
    )
    reply = r.json()
    assert reply["depth"] == 1 and reply["parent_id"] == top["id"]
    listed = client.get(f"/api/v1/images/{w.public}/comments").json()
    assert [c["id"] for c in listed["items"]] == [top["id"], reply["id"]]
    assert listed["comment_count"] == 2
    assert_error(
        client.post(f"/api/v1/images/{w.public}/comments", headers=b, json={"body": "  "}), 400
    )
    assert_error(
        client.post(f"/api/v1/images/{w.private}/comments", headers=b, json={"body": "hi"}), 404
    )
    assert_error(client.get(f"/api/v1/images/{w.private}/comments", headers=b), 404)
    assert_error(client.delete(f"/api/v1/comments/{top['id']}", headers=a), 403, "forbidden")
    assert client.delete(f"/api/v1/comments/{top['id']}", headers=b).status_code == 204
    listed = client.get(f"/api/v1/images/{w.public}/comments").json()
    assert listed["comment_count"] == 1 and listed["items"][0]["deleted"] is True


# ---------------------------------------------------------------- collections, follows, credits


def test_collections_and_their_images(client: TestClient, db: Engine, settings: Settings) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)
    r = client.post("/api/v1/collections", headers=a, json={"title": "Keep", "private": True})
    assert r.status_code == 201
    secret = r.json()["id"]
    assert client.put(f"/api/v1/collections/{secret}/images/{w.private}", headers=a).json()[
        "changed"
    ]
    assert (
        client.put(f"/api/v1/collections/{secret}/images/{w.public}", headers=a).status_code == 200
    )
    got = client.get(f"/api/v1/collections/{secret}", headers=a).json()
    assert got["collection"]["is_owner"] and {i["id"] for i in got["items"]} == {
        w.public,
        w.private,
    }
    # Another user's private collection: 404 to read, change or fill, as for a missing one.
    assert_error(client.get(f"/api/v1/collections/{secret}", headers=b), 404)
    assert_error(client.get(f"/api/v1/collections/{secret}"), 404)
    assert_error(client.patch(f"/api/v1/collections/{secret}", headers=b, json={"title": "x"}), 404)
    assert_error(client.delete(f"/api/v1/collections/{secret}", headers=b), 404)
    listed = client.get("/api/v1/users/alice/collections", headers=b).json()
    assert listed["items"] == []
    assert [
        c["id"] for c in client.get("/api/v1/users/alice/collections", headers=a).json()["items"]
    ] == [secret]

    r = client.patch(
        f"/api/v1/collections/{secret}",
        headers=a,
        json={"title": "Shared", "description": "mine", "private": False},
    )
    assert (r.json()["title"], r.json()["private"]) == ("Shared", False)
    shown = client.get(f"/api/v1/collections/{secret}", headers=b).json()
    assert [i["id"] for i in shown["items"]] == [w.public]  # her private image stays hidden
    assert_error(client.patch(f"/api/v1/collections/{secret}", headers=b, json={}), 403)
    bad = client.patch(
        f"/api/v1/collections/{secret}", headers=a, json={"title": "ok", "description": "x" * 1001}
    )
    assert_error(bad, 422)
    with Session(db) as s:
        assert collections.get_collection(s, w.alice, secret).title == "Shared"  # nothing half-done
    assert client.delete(f"/api/v1/collections/{secret}/images/{w.public}", headers=a).json()[
        "changed"
    ]
    assert client.delete(f"/api/v1/collections/{secret}", headers=a).status_code == 204
    assert_error(client.get(f"/api/v1/collections/{secret}", headers=a), 404)


def test_follows_and_credit_history(client: TestClient, db: Engine, settings: Settings) -> None:
    w = make_world(db, settings)
    a, b = bearer(w.alice_token), bearer(w.bob_token)
    r = client.put("/api/v1/users/alice/follow", headers=b)
    assert r.json() == {"user_id": w.alice, "following": True, "follower_count": 1, "changed": True}
    assert client.get("/api/v1/me", headers=a).json()["followers"] == 1
    rows = client.get("/api/v1/users/alice/followers", headers=a).json()["items"]
    assert [x["username"] for x in rows] == ["bob"] and rows[0]["viewer_follows"] is False
    rows = client.get("/api/v1/users/bob/following").json()["items"]
    assert [x["username"] for x in rows] == ["alice"]
    assert_error(client.put("/api/v1/users/bob/follow", headers=b), 400)  # not yourself
    assert_error(client.put("/api/v1/users/nobody/follow", headers=b), 404)
    assert client.delete("/api/v1/users/alice/follow", headers=b).json()["following"] is False

    with Session(db) as s:
        for n in range(3):
            credits.change_balance(s, w.alice, 1, CreditKind.admin, note=f"grant {n}")
        s.commit()
    page = client.get("/api/v1/me/credits", headers=a, params={"limit": 2}).json()
    assert page["balance"] == 8 and len(page["items"]) == 2 and page["next_cursor"]
    assert page["items"][0]["note"] == "grant 2"
    rest = client.get(
        "/api/v1/me/credits", headers=a, params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [i["note"] for i in rest["items"]][0] == "grant 0"
    assert rest["items"][1]["kind"] == "bonus" and rest["next_cursor"] is None
    assert_error(client.get("/api/v1/me/credits", headers=a, params={"cursor": "zz"}), 400)
    assert client.get("/api/v1/me/credits", headers=b).json()["items"] == []
