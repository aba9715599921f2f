"""Backpressure over the REST API: a flooded queue answers 503 with Retry-After, in the API's
error shape, and charges nothing (SQLite and PostgreSQL). The worker is held busy: the jobs
are queued and nothing takes them."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.services import credits
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings
from tests.api.rest_helpers import assert_error, bearer, make_world


def test_flooding_ones_queue_gets_a_503_with_retry_after(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = make_world(db, settings)
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    h = bearer(w.alice_token)
    body = {"model": "local-sketch", "prompt": "a fox", "size": "256x256"}
    for _ in range(settings.max_active_jobs_per_user):
        assert client.post("/api/v1/generations", headers=h, json=body).status_code == 201
    started = time.perf_counter()
    r = client.post("/api/v1/generations", headers=h, json=body)
    took = time.perf_counter() - started
    err = assert_error(r, 503, "busy")
    assert r.headers["Retry-After"] == str(settings.busy_retry_after_seconds)
    assert err["field"] == "form" and "try again in 30 s" in err["message"]
    assert client.get("/api/v1/me", headers=h).json()["credits"] == 1  # 5 - 4, not 0
    with Session(db) as s:
        assert len(credits.history(s, w.alice).items) == 5  # the bonus and four spends
    print(f"\n503 in {took * 1000:.1f} ms")


def test_the_schema_documents_the_503(client: TestClient) -> None:  # noqa: F811
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "503" in paths["/api/v1/generations"]["post"]["responses"]
    assert "503" in paths["/api/v1/edits"]["post"]["responses"]
