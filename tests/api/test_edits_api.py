"""REST API v1 edits over HTTP with personal tokens, on SQLite and PostgreSQL: JSON from an
image id, multipart from an upload, the lineage read, and the refusals (422 for an operation
the model cannot do, 404 for a source you cannot see, 400 for a bad file), each charging
nothing. Jobs are run by the real worker function with FakeEditor at the provider boundary.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pixel_studio import events
from pixel_studio.cache import MemoryCache
from pixel_studio.models import GenerationJob
from pixel_studio.services.studio import generation
from pixel_studio.services.studio.jobs import run_job
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.api.rest_helpers import api_client, assert_error, bearer, make_world
from tests.services.editing_helpers import (
    FakeEditor,
    cmyk_jpeg,
    decode,
    mask_png,
    png,
    price,
    stored_files,
)


@pytest.fixture
def client(db: Engine, settings: Settings) -> Iterator[TestClient]:
    with api_client(db, settings, MemoryCache()) as c:
        yield c


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    jobs: list[str] = []
    monkeypatch.setattr(
        generation, "enqueue_job", lambda job_id, settings=None: jobs.append(job_id)
    )
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)
    return jobs


def _credits(client: TestClient, token: str) -> int:
    return int(client.get("/api/v1/me", headers=bearer(token)).json()["credits"])


def _run(db: Engine, settings: Settings, job_id: str, provider: Any) -> None:
    run_job(job_id, engine=db, settings=settings, storage=LocalStorage(settings),
            publish=lambda _e: None, provider_for=lambda _m: provider)  # fmt: skip


def _real_source(client: TestClient, db: Engine, settings: Settings, token: str) -> int:
    body = {"model": "local-sketch", "prompt": "a lighthouse", "size": "256x256"}
    job = client.post("/api/v1/generations", headers=bearer(token), json=body).json()
    run_job(job["id"], engine=db, settings=settings, publish=lambda _e: None)
    done = client.get(f"/api/v1/generations/{job['id']}", headers=bearer(token)).json()
    return int(done["images"][0]["id"])


def test_vary_by_json_then_poll_and_read_the_lineage(
    client: TestClient, db: Engine, settings: Settings, queued: list[str]
) -> None:
    w = make_world(db, settings)
    source = _real_source(client, db, settings, w.alice_token)
    h = bearer(w.alice_token)
    before = _credits(client, w.alice_token)
    body = {"operation": "variation", "model": "local-sketch", "source_image_id": source,
            "vary": "strong", "count": 2}  # fmt: skip
    r = client.post("/api/v1/edits", headers=h, json=body)
    assert r.status_code == 201, r.text
    job = r.json()
    assert (job["status"], job["total"], job["credits_charged"]) == (
        "queued", 2, price("variation", 2))  # fmt: skip
    assert job["params"]["operation"] == "variation" and queued[-1] == job["id"]
    assert _credits(client, w.alice_token) == before - price("variation", 2)

    _run(db, settings, job["id"], FakeEditor())
    done = client.get(f"/api/v1/generations/{job['id']}", headers=h).json()
    assert (done["status"], len(done["images"])) == ("succeeded", 2)
    made = done["images"][0]["id"]

    lineage = client.get(f"/api/v1/images/{made}/lineage")  # anonymous: all public
    assert lineage.status_code == 200, lineage.text
    view = lineage.json()
    assert (view["operation"], view["label"], view["from_upload"]) == (
        "variation", "Vary (strong)", False)  # fmt: skip
    assert view["source"]["id"] == source and view["edit"]["strength"] == 0.75
    strip = client.get(f"/api/v1/images/{source}/lineage", params={"limit": 1}).json()
    assert len(strip["derived"]["items"]) == 1 and strip["derived"]["next_cursor"]
    page2 = {"limit": 1, "cursor": strip["derived"]["next_cursor"]}
    rest = client.get(f"/api/v1/images/{source}/lineage", params=page2).json()
    ids = [strip["derived"]["items"][0]["id"], rest["derived"]["items"][0]["id"]]
    assert sorted(ids) == sorted(i["id"] for i in done["images"])
    assert_error(client.get(f"/api/v1/images/{w.private}/lineage"), 404, "not_found")


def test_refusals_charge_nothing(
    client: TestClient, db: Engine, settings: Settings, queued: list[str]
) -> None:
    w = make_world(db, settings)
    h = bearer(w.bob_token)
    base = {"operation": "upscale", "model": "local-sketch", "source_image_id": w.public}
    err = assert_error(client.post("/api/v1/edits", headers=h,
                                   json={**base, "model": "dall-e-3"}), 422)  # fmt: skip
    assert err["code"] == "unsupported_operation" and err["field"] == "operation"
    assert "cannot upscale" in err["message"]
    r = client.post("/api/v1/edits", headers=h, json={**base, "source_image_id": w.private})
    assert_error(r, 404, "not_found")
    r = client.post("/api/v1/edits", headers=h, json={**base, "factor": 3})
    assert assert_error(r, 400)["field"] == "factor"
    r = client.post("/api/v1/edits", headers=h, json={**base, "operation": "sharpen"})
    assert assert_error(r, 422)["field"] == "operation"
    r = client.post("/api/v1/edits", headers=h, json=base)  # bob has no credits
    assert assert_error(r, 402)["code"] == "insufficient_credits"
    with Session(db) as s:
        jobs = s.exec(select(GenerationJob)).all()
        assert [j for j in jobs if j.params.get("operation")] == [] and queued == []


def test_inpaint_by_multipart_upload(
    client: TestClient, db: Engine, settings: Settings, queued: list[str]
) -> None:
    w = make_world(db, settings)
    h = bearer(w.alice_token)
    files_before = stored_files(settings)
    form = {"operation": "inpaint", "model": "local-sketch", "prompt": "a moon",
            "private": "true"}  # fmt: skip
    files = {
        "image": ("photo.png", png(64, 48, (9, 99, 199)), "image/png"),
        "mask": ("mask.png", mask_png(64, 48, (8, 8, 24, 24)), "image/png"),
    }
    r = client.post("/api/v1/edits/upload", headers=h, data=form, files=files)
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["params"]["private"] is True and job["params"]["edit"]["source"] == "upload"
    assert len(stored_files(settings) - files_before) == 2  # the upload and the mask
    provider = FakeEditor()
    _run(db, settings, job["id"], provider)
    (request,) = provider.requests
    assert decode(request.mask_png or b"").getbbox() == (8, 8, 24, 24)
    done = client.get(f"/api/v1/generations/{job['id']}", headers=h).json()
    image = done["images"][0]
    assert (image["width"], image["height"], image["private"]) == (64, 48, True)
    view = client.get(f"/api/v1/images/{image['id']}/lineage", headers=h).json()
    assert view["from_upload"] and view["source"] is None and view["label"] == "Inpaint"


def test_bad_uploads_by_multipart_are_clear_400s(
    client: TestClient, db: Engine, settings: Settings, queued: list[str]
) -> None:
    w = make_world(db, settings)
    h = bearer(w.alice_token)
    before = (_credits(client, w.alice_token), stored_files(settings))
    form = {"operation": "image-to-image", "model": "local-sketch", "prompt": "x"}
    r = client.post("/api/v1/edits/upload", headers=h, data=form,
                    files={"image": ("a.jpg", cmyk_jpeg(), "image/jpeg")})  # fmt: skip
    err = assert_error(r, 400, "invalid_input")
    assert err["field"] == "image" and "CMYK" in err["message"]
    r = client.post("/api/v1/edits/upload", headers=h, data=form,
                    files={"image": ("a.png", b"not a picture", "image/png")})  # fmt: skip
    assert "not a PNG, JPEG or WebP" in assert_error(r, 400)["message"]
    big = png()[:32] + b"\0" * (20 * 1024 * 1024 + 10)
    r = client.post("/api/v1/edits/upload", headers=h, data=form,
                    files={"image": ("big.png", big, "image/png")})  # fmt: skip
    assert "20.0 MB limit" in assert_error(r, 400)["message"]
    # an inpaint mask by JSON as a data URL of the wrong size
    url = "data:image/png;base64," + base64.b64encode(mask_png(4, 4, (0, 0, 2, 2))).decode()
    body = {"operation": "inpaint", "model": "local-sketch", "prompt": "x",
            "source_image_id": w.public, "mask": url}  # fmt: skip
    err = assert_error(client.post("/api/v1/edits", headers=h, json=body), 400)
    assert err["field"] == "mask" and "4×4" in err["message"]
    assert (_credits(client, w.alice_token), stored_files(settings)) == before
    assert queued == []
