"""REST API v1 over HTTP with personal tokens, on SQLite and PostgreSQL.

Every endpoint is called through `create_api()` (Starlette's TestClient), with the app's
dependencies pointed at the test database; a job created here is run by the real worker
function with the local sketch model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio import events
from pixel_studio.api import create_api, discovery
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.db import session_scope
from pixel_studio.events import JobEvent
from pixel_studio.models import ApiToken, CreditKind
from pixel_studio.services import api_tokens, auth, collections, credits, generation, users
from pixel_studio.services.jobs import run_job
from pixel_studio.settings import Settings, get_settings
from pixel_studio.storage.local import LocalStorage
from tests.api.test_media import make_image


@pytest.fixture
def memory() -> MemoryCache:
    return MemoryCache()


def api_client(db: Engine, settings: Settings, memory: MemoryCache) -> TestClient:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s

    # The generation tier counts in the process's limiter (rate_limits.get_limiter(), shared
    # with the create form): a fresh one per client, so earlier tests' jobs are not counted.
    get_cache.cache_clear()
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[db_session] = session_override
    api.dependency_overrides[get_cache] = lambda: memory
    api.dependency_overrides[discovery.explore_deps] = lambda: (
        settings,
        memory,
        lambda: session_scope(db),
    )
    return TestClient(api, raise_server_exceptions=False)


@pytest.fixture
def client(db: Engine, settings: Settings, memory: MemoryCache) -> Iterator[TestClient]:
    with api_client(db, settings, memory) as c:
        yield c


@dataclass
class World:
    alice: int
    bob: int
    public: int  # alice's public image
    private: int  # alice's private image
    alice_token: str
    bob_token: str
    bob_token_id: int
    alice_cookie: str


def make_world(db: Engine, settings: Settings) -> World:
    storage = LocalStorage(settings)
    with Session(db, expire_on_commit=False) as s:
        alice = users.create_user(s, "alice", "a@example.com", "longenough", bonus=5)
        bob = users.create_user(s, "bob", "b@example.com", "longenough", bonus=0)
        public = make_image(s, storage, alice.id or 0, private=False)
        private = make_image(s, storage, alice.id or 0, private=True)
        cookie = auth.create_session(s, alice.id or 0, settings)
        s.commit()
        a_tok = api_tokens.create_token(s, alice.id or 0, "laptop")
        b_tok = api_tokens.create_token(s, bob.id or 0, "script")
        return World(
            alice.id or 0,
            bob.id or 0,
            public.id or 0,
            private.id or 0,
            a_tok.secret,
            b_tok.secret,
            b_tok.info.id,
            cookie,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    err = r.json()["error"]
    assert set(err) == {"code", "message", "field"} and err["message"]
    if code is not None:
        assert err["code"] == code
    return err


# ---------------------------------------------------------------- auth


def test_me_with_a_token_and_refusals_without_a_valid_one(
    client: TestClient, db: Engine, settings: Settings
) -> None:
    w = make_world(db, settings)
    r = client.get("/api/v1/me", headers=bearer(w.alice_token))
    assert r.status_code == 200
    me = r.json()
    assert (me["username"], me["credits"], me["followers"]) == ("alice", 5, 0)
    with Session(db) as s:
        row = s.get(ApiToken, w.bob_token_id)
        assert row is not None and row.last_used_at is None  # bob has not used his yet
    client.get("/api/v1/me", headers=bearer(w.bob_token))
    with Session(db) as s:
        row = s.get(ApiToken, w.bob_token_id)
        assert row is not None and row.last_used_at is not None  # recorded on use

    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers=bearer("ps_nope")), 401, "invalid_token")
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}), 401)
    # The session cookie is not an API credential for private reads or any write.
    client.cookies.set(SESSION_COOKIE, w.alice_cookie)
    assert_error(client.get("/api/v1/me"), 401)
    assert_error(client.put(f"/api/v1/images/{w.public}/like"), 401)
    assert_error(client.post("/api/v1/collections", json={"title": "x"}), 401)
    client.cookies.clear()


def test_a_revoked_token_is_refused(client: TestClient, db: Engine, settings: Settings) -> None:
    w = make_world(db, settings)
    assert client.get("/api/v1/me", headers=bearer(w.bob_token)).status_code == 200
    with Session(db) as s:
        api_tokens.revoke_token(s, w.bob, w.bob_token_id)
    err = assert_error(client.get("/api/v1/me", headers=bearer(w.bob_token)), 401)
    assert err["code"] == "invalid_token" and "revoked" in err["message"]
    r = client.put(f"/api/v1/images/{w.public}/like", headers=bearer(w.bob_token))
    assert_error(r, 401, "invalid_token")


# ---------------------------------------------------------------- errors


def test_every_error_is_json(client: TestClient, db: Engine, settings: Settings) -> None:
    w = make_world(db, settings)
    h = bearer(w.alice_token)
    assert_error(client.get("/api/v1/no/such/thing", headers=h), 404, "not_found")
    r = client.post("/api/v1/me", headers=h)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"
    err = assert_error(client.get("/api/v1/images/abc", headers=h), 422, "invalid_input")
    assert err["field"] == "image_id"
    err = assert_error(client.get("/api/v1/explore", params={"limit": "0"}), 422)
    assert err["field"] == "limit"
    err = assert_error(client.get("/api/v1/explore", params={"cursor": "x"}), 400)
    assert err["field"] == "cursor"
    r = client.post("/api/v1/generations", headers=h, content=b"{not json")
    assert_error(r, 422, "invalid_input")
    # Outside /api/v1 the other routes keep their own shapes.
    assert "error" not in client.get("/no-such-page-anywhere").text


# ---------------------------------------------------------------- generations


def test_create_a_generation_and_poll_it(
    client: TestClient,
    db: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = make_world(db, settings)
    queued: list[str] = []
    published: list[Any] = []
    monkeypatch.setattr(
        generation, "enqueue_job", lambda job_id, settings=None: queued.append(job_id)
    )
    monkeypatch.setattr(events, "publish", lambda event, settings=None: published.append(event))
    h = bearer(w.alice_token)
    body = {"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256", "count": 2}
    r = client.post("/api/v1/generations", headers=h, json=body)
    assert r.status_code == 201, r.text
    job = r.json()
    assert (job["status"], job["done"], job["total"], job["credits_charged"]) == (
        "queued",
        0,
        2,
        2,
    )
    assert queued == [job["id"]]
    # The same job event the create page's submit sends: open pages of alice show it.
    assert isinstance(published[0], JobEvent) and published[0].user_id == w.alice
    assert published[0].job_id == job["id"] and published[0].status == "queued"

    run_job(job["id"], engine=db, settings=settings, publish=published.append)
    r = client.get(f"/api/v1/generations/{job['id']}", headers=h)
    assert r.status_code == 200
    done = r.json()
    assert (done["status"], done["done"], len(done["images"])) == ("succeeded", 2, 2)
    assert done["images"][0]["url"].startswith("/media/")
    assert client.get("/api/v1/me", headers=h).json()["credits"] == 3

    # Someone else's job, or none: 404.
    r = client.get(f"/api/v1/generations/{job['id']}", headers=bearer(w.bob_token))
    assert_error(r, 404, "not_found")
    assert_error(client.get("/api/v1/generations/abc123", headers=h), 404)


def test_generation_refusals_write_nothing(
    client: TestClient, db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world(db, settings)
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    h = bearer(w.alice_token)
    base = {"model": "local-sketch", "prompt": "a fox", "size": "256x256"}
    err = assert_error(
        client.post("/api/v1/generations", headers=h, json={**base, "count": 6, "seed": 1}), 402
    )
    assert err["code"] == "insufficient_credits" and err["field"] == "count"
    err = assert_error(
        client.post("/api/v1/generations", headers=h, json={**base, "model": "no-such"}), 400
    )
    assert err["field"] == "model"
    r = client.post("/api/v1/generations", headers=h, json={**base, "count": 0})
    assert assert_error(r, 422)["field"] == "count"
    r = client.post("/api/v1/generations", headers=h, json={**base, "extra": 1})
    assert assert_error(r, 422)["field"] == "extra"
    r = client.post("/api/v1/generations", headers=h, json={**base, "parent_image_id": w.private})
    assert r.status_code == 201  # her own private image: a remix is fine
    r = client.post("/api/v1/generations", headers=bearer(w.bob_token), json={**base, "count": 1})
    assert_error(r, 402)  # bob has no credits
    with Session(db) as s:
        assert credits.history(s, w.bob).items == []


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


def test_the_readme_client_creates_a_generation_and_polls_it(
    client: TestClient,
    db: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The five lines in README.md's REST API section, run as written against the app."""
    w = make_world(db, settings)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## REST API", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) == 5
    # The job runs when queued (what a worker does), here in this thread.
    monkeypatch.setattr(
        generation,
        "enqueue_job",
        lambda job_id, settings=None: run_job(job_id, engine=db, settings=settings_),
    )
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)
    settings_ = settings

    class FakeHttpx:
        @staticmethod
        def Client(base_url: str, headers: dict[str, str]) -> TestClient:  # noqa: N802
            assert base_url == "http://127.0.0.1:3000/api/v1"
            assert headers["Authorization"] == "Bearer ps_..."
            return TestClient(
                client.app,
                base_url="http://testserver/api/v1",
                headers={"Authorization": f"Bearer {w.alice_token}"},
            )

    code = code.replace("import httpx, time", "import time")
    exec(code, {"httpx": FakeHttpx})  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert out.startswith("succeeded ['/media/")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/explore?q=0%00&sort=liked",
        "/api/v1/users/a%00b/images",
        "/api/v1/users/alice/followers?cursor=%00",
    ],
)
def test_nul_in_the_address_is_a_422_not_a_database_error(
    client: TestClient, db: Engine, settings: Settings, url: str
) -> None:
    """Found by schemathesis on PostgreSQL: NUL reached a text query and became a 500."""
    w = make_world(db, settings)
    assert_error(client.get(url, headers=bearer(w.alice_token)), 422, "invalid_input")
