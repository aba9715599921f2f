"""REST API v1 with scoped and expiring tokens (issue 13, item 6), on SQLite and PostgreSQL:
a read-only token reads, and every write answers 403 in the usual error shape with nothing
changed; an expired token is refused like a revoked one."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pixel_studio.db import utcnow
from pixel_studio.models import ApiToken, Collection, GenerationJob, Like, User
from pixel_studio.services.accounts import api_tokens
from pixel_studio.settings import Settings
from tests.api.rest_helpers import assert_error, bearer, make_world


def count(db: Engine, model: type) -> int:
    with Session(db) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_a_read_only_token_reads_and_every_write_is_refused(
    client: TestClient,
    db: Engine,
    settings: Settings,
) -> None:
    w = make_world(db, settings)
    with Session(db, expire_on_commit=False) as s:
        reader = api_tokens.create_token(s, w.alice, "dashboard", scope="read").secret
    h = bearer(reader)
    me = client.get("/api/v1/me", headers=h)
    assert me.status_code == 200 and me.json()["username"] == "alice"
    assert client.get(f"/api/v1/images/{w.private}", headers=h).status_code == 200

    before = (count(db, Like), count(db, Collection), count(db, GenerationJob))
    writes = [
        client.put(f"/api/v1/images/{w.public}/like", headers=h),
        client.post("/api/v1/collections", headers=h, json={"title": "nope"}),
        client.post(
            "/api/v1/generations",
            headers=h,
            json={"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256"},
        ),
    ]
    for r in writes:
        err = assert_error(r, 403, "read_only_token")
        assert err["message"].startswith("This API token may only read.")
        assert err["field"] is None
    assert (count(db, Like), count(db, Collection), count(db, GenerationJob)) == before
    with Session(db) as s:
        alice = s.get(User, w.alice)
        assert alice is not None and alice.credits == 5  # nothing charged

    # The same account's write token still writes.
    ok = client.put(f"/api/v1/images/{w.public}/like", headers=bearer(w.alice_token))
    assert ok.status_code in (200, 204), ok.text


def test_an_expired_token_is_refused(
    client: TestClient,
    db: Engine,
    settings: Settings,
) -> None:
    w = make_world(db, settings)
    with Session(db, expire_on_commit=False) as s:
        made = api_tokens.create_token(s, w.bob, "week", expires_days=7)
    h = bearer(made.secret)
    assert client.get("/api/v1/me", headers=h).status_code == 200
    with Session(db) as s:
        row = s.get(ApiToken, made.info.id)
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
        s.commit()
    err = assert_error(client.get("/api/v1/me", headers=h), 401, "invalid_token")
    assert "expired" in err["message"]
    assert_error(client.put(f"/api/v1/images/{w.public}/like", headers=h), 401, "invalid_token")
