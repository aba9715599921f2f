"""Hypothesis fuzzing of the create form's validation and job creation, and of the JSON auth
bodies: unicode, NUL bytes, huge strings, negative and enormous numbers, nulls, wrong types.
Never a 500 (an unexpected exception), and a refused request writes no job, no ledger row and
no user. Bounded examples, so it runs in seconds; SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from pixel_studio.models import CreditTransaction, GenerationJob, User
from pixel_studio.services.errors import ServiceError
from pixel_studio.services.studio import generation
from pixel_studio.settings import Settings
from tests.api.test_csrf_routes import client
from tests.services.generation_helpers import make_user

__all__ = ["client"]  # the fixture, used by name below

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=20).map(lambda s: s + "\x00"),
    st.integers(min_value=1, max_value=50_000).map(lambda n: "é" * n),
    st.sampled_from(["", " ", "512x512", "256x256", "-1", "1e308", "NaN", "none", "∞"]),
)
nasty_number = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
anything = st.one_of(st.none(), st.booleans(), nasty_text, nasty_number, st.lists(st.none()))
FIELDS = [
    "prompt",
    "negative_prompt",
    "model",
    "size",
    "count",
    "seed",
    "guidance",
    "steps",
    "quality",
    "style",
    "style_preset",
    "private",
    "parent_image_id",
]
form = st.dictionaries(
    st.sampled_from(FIELDS), anything, max_size=len(FIELDS)
) | st.fixed_dictionaries(
    {"model": st.just("local-sketch"), "prompt": nasty_text},
    optional={f: anything for f in ("size", "count", "seed", "parent_image_id", "private")},
)


def _counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.exec(select(func.count()).select_from(t)).one()
        for t in (GenerationJob, CreditTransaction, User)
    )


def test_create_form_never_fails_unexpectedly_and_refusals_write_nothing(
    session: Session, settings: Settings
) -> None:
    user_id = make_user(session, "fuzzer", 1_000_000)
    queued: list[str] = []
    # Its jobs are never run: without room they would all be refused as busy after the 4th.
    room = {"max_active_jobs_per_user": 1_000_000, "max_queued_jobs": 1_000_000}
    settings = settings.model_copy(update=room)

    @FUZZ
    @given(data=form)
    def check(data: dict[str, Any]) -> None:
        session.rollback()
        before = _counts(session)
        with contextlib.suppress(ServiceError):
            generation.validate_request(dict(data), settings)
        try:
            job = generation.create_job(
                session, user_id, dict(data), settings, enqueue=queued.append, publish=list().append
            )
        except ServiceError:
            session.rollback()
            assert _counts(session) == before, data  # refused: nothing written, nothing charged
            return
        assert job.id in queued and job.credits_charged > 0
        assert _counts(session)[:2] == (before[0] + 1, before[1] + 1)

    check()


auth_body = st.one_of(
    st.none(),
    st.lists(anything, max_size=3),
    st.dictionaries(st.sampled_from(["login", "password", "username", "email"]), anything),
    st.dictionaries(st.text(max_size=5), anything, max_size=3),
    st.fixed_dictionaries({"username": nasty_text, "email": nasty_text, "password": nasty_text}),
)


def test_auth_json_bodies_never_500_and_refusals_write_nothing(
    client: TestClient, session: Session
) -> None:
    @FUZZ
    @given(body=auth_body, path=st.sampled_from(["/api/auth/login", "/api/auth/signup"]))
    def check(body: Any, path: str) -> None:
        client.cookies.clear()
        session.rollback()
        before = _counts(session)
        # Encoded here, not by the client: httpx refuses NaN and infinity, which a hostile
        # client sends all the same (Python's json writes them as bare NaN / Infinity).
        raw = json.dumps(body)
        resp = client.post(path, content=raw, headers={"Content-Type": "application/json"})
        assert resp.status_code < 500, (path, body, resp.text)
        session.rollback()
        if resp.status_code != 201:
            assert _counts(session) == before, (path, body)

    check()
