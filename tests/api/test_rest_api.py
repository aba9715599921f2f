"""REST API v1 over HTTP with personal tokens, on SQLite and PostgreSQL: tokens, errors,
generations, the README's client (images and the social endpoints: test_rest_api_social.py).

Every endpoint is called through `create_api()` (Starlette's TestClient), with the app's
dependencies pointed at the test database; a job created here is run by the real worker
function with the local sketch model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio import events
from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.events import JobEvent
from pixel_studio.models import ApiToken
from pixel_studio.services import credits
from pixel_studio.services.accounts import api_tokens
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from tests.api.rest_helpers import (
    assert_error,
    bearer,
    make_world,
)

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
