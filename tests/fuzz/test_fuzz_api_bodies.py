"""Hypothesis fuzzing of the REST API v1 request bodies, over HTTP with a valid Bearer token:
POST /api/v1/generations, POST /api/v1/images/{id}/comments, POST /api/v1/collections and
PATCH /api/v1/collections/{id}. Bodies of unicode, NUL bytes, huge strings, negative and
enormous numbers, NaN, nulls, wrong types, bodies that are not objects and bytes that are not
JSON. Never a 500; a refused request (any 4xx) adds no job, ledger row, comment or collection,
charges nothing and leaves the collection as it was. Bounded examples, so it runs in seconds;
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pixel_studio import events
from pixel_studio.cache import MemoryCache
from pixel_studio.models import Collection, Comment, CreditKind, CreditTransaction, GenerationJob
from pixel_studio.models import User as UserRow
from pixel_studio.services import credits
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings, get_settings
from tests.api.rest_helpers import api_client, bearer, make_world
from tests.fuzz.test_fuzz_inputs import FIELDS, anything, nasty_number, nasty_text

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
ROOMY = "100000 per 1 minute"  # the fuzzer's own successes must not turn into 429s


@dataclass(frozen=True)
class Raw:
    """A request body sent as these bytes, labelled JSON (most of them are not)."""

    data: bytes


raw = st.one_of(
    st.binary(max_size=40),
    st.sampled_from([b"", b"{", b'{"title": "a\x00"}', b"[]", b"null", b'{"title": NaN}']),
).map(Raw)
not_an_object = st.one_of(st.none(), st.lists(anything, max_size=3), nasty_text, nasty_number)
generation_body = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), anything, max_size=len(FIELDS)),
    st.fixed_dictionaries(
        {"model": st.just("local-sketch"), "prompt": nasty_text},
        optional={f: anything for f in ("size", "count", "seed", "private", "parent_image_id")},
    ),
    st.fixed_dictionaries({"model": st.just("local-sketch"), "prompt": nasty_text}),
    not_an_object,
    raw,
)
collection_fields = {"title": anything, "description": anything, "private": anything}
collection_body = st.one_of(
    st.fixed_dictionaries({}, optional=collection_fields),
    st.fixed_dictionaries({"title": nasty_text}, optional={"description": nasty_text}),
    st.dictionaries(st.text(max_size=8), anything, max_size=3),
    not_an_object,
    raw,
)


@dataclass
class Api:
    client: TestClient
    db: Engine
    token: str
    alice: int
    image: int
    collection: int


@pytest.fixture
def api(db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    # The social services read the write tier from the process's settings (hit_write).
    monkeypatch.setenv("RATE_LIMIT_WRITE", ROOMY)
    get_settings.cache_clear()
    roomy = settings.model_copy(
        update={
            "rate_limit_generation": ROOMY,
            "rate_limit_read": ROOMY,
            # Jobs are never run here: room for all of them under the backpressure caps.
            "max_active_jobs_per_user": 1_000_000,
            "max_queued_jobs": 1_000_000,
        }
    )
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)
    w = make_world(db, roomy)
    with Session(db) as s:
        credits.change_balance(s, w.alice, 1_000_000, CreditKind.admin)
        s.commit()
    with api_client(db, roomy, MemoryCache()) as client:
        made = client.post(
            "/api/v1/collections", headers=bearer(w.alice_token), json={"title": "t"}
        )
        assert made.status_code == 201, made.text
        yield Api(client, db, w.alice_token, w.alice, w.public, made.json()["id"])
    get_settings.cache_clear()


def counts(db: Engine) -> dict[str, int]:
    with Session(db) as s:
        tables = {"job": GenerationJob, "ledger": CreditTransaction, "comment": Comment}
        out = {k: s.exec(select(func.count()).select_from(t)).one() for k, t in tables.items()}
        out["collection"] = s.exec(select(func.count()).select_from(Collection)).one()
        out["credits"] = sum(s.exec(select(UserRow.credits)).all())  # every balance
        return out


def collection_row(db: Engine, collection_id: int) -> tuple[Any, ...]:
    with Session(db) as s:
        c = s.get(Collection, collection_id)
        assert c is not None
        return c.title, c.description, c.private


def send(api: Api, method: str, path: str, body: Any) -> Any:
    """The body as JSON bytes; NaN and Infinity as the bare tokens Python's parser accepts
    (the HTTP client itself would refuse to encode them)."""
    headers = {**bearer(api.token), "content-type": "application/json"}
    data = body.data if isinstance(body, Raw) else json.dumps(body, allow_nan=True).encode()
    return api.client.request(method, path, content=data, headers=headers)


def check(api: Api, method: str, path: str, body: Any, grows: dict[str, int]) -> str:
    """One request: never a 500; refused changes nothing; accepted grows exactly `grows`.
    Returns which it was."""
    before, row = counts(api.db), collection_row(api.db, api.collection)
    r = send(api, method, path, body)
    assert r.status_code < 500, (method, path, body, r.text)
    after = counts(api.db)
    if r.status_code >= 400:
        assert r.status_code != 429, r.text  # the tiers are roomy here: a refusal is the body's
        assert r.json()["error"]["code"] and r.json()["error"]["message"]
        assert after == before, (method, path, body, r.text)
        assert collection_row(api.db, api.collection) == row
        return "refused"
    expected = {k: before[k] + grows.get(k, 0) for k in ("job", "ledger", "comment", "collection")}
    assert {k: after[k] for k in expected} == expected, (method, path, body)
    if "job" in grows:
        assert after["credits"] == before["credits"] - r.json()["credits_charged"]
    else:
        assert after["credits"] == before["credits"]
    return "accepted"


def test_generation_bodies(api: Api) -> None:
    seen: set[str] = set()

    @FUZZ
    @given(body=generation_body)
    @example(body={"model": "local-sketch", "prompt": "a fox", "size": "256x256"})
    def one(body: Any) -> None:
        seen.add(check(api, "POST", "/api/v1/generations", body, {"job": 1, "ledger": 1}))

    one()
    assert seen == {"accepted", "refused"}  # both paths were walked


def test_comment_bodies(api: Api) -> None:
    parents = st.one_of(anything, st.just(None), st.integers(1, 3))
    body = st.one_of(
        st.fixed_dictionaries({}, optional={"body": anything, "parent_id": parents}),
        st.fixed_dictionaries({"body": nasty_text}, optional={"parent_id": parents}),
        not_an_object,
        raw,
    )

    seen: set[str] = set()

    @FUZZ
    @given(data=body)
    @example(data={"body": "Lovely \u00e9\u6f22"})
    def one(data: Any) -> None:
        path = f"/api/v1/images/{api.image}/comments"
        seen.add(check(api, "POST", path, data, {"comment": 1}))

    one()
    assert seen == {"accepted", "refused"}


def test_collection_bodies(api: Api) -> None:
    seen: set[str] = set()

    @FUZZ
    @given(body=collection_body)
    @example(body={"title": "Night \u263e", "private": True})
    def one(body: Any) -> None:
        seen.add(check(api, "POST", "/api/v1/collections", body, {"collection": 1}))

    one()
    assert seen == {"accepted", "refused"}


def test_collection_patch_bodies(api: Api) -> None:
    seen: set[str] = set()

    @FUZZ
    @given(body=collection_body)
    @example(body={"description": "renamed \u00e9", "private": False})
    def one(body: Any) -> None:
        seen.add(check(api, "PATCH", f"/api/v1/collections/{api.collection}", body, {}))

    one()
    assert seen == {"accepted", "refused"}
