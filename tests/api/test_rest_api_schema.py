"""Schemathesis against /api/openapi.json: every /api/v1 operation, with a valid token, on
SQLite and PostgreSQL. Generated requests (valid and invalid ones) must never get a server
error, nor a status, content type, header or body that the schema does not document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks
from schemathesis.openapi.loaders import from_asgi
from sqlalchemy.engine import Engine

from pixel_studio import events
from pixel_studio.api import create_api
from pixel_studio.cache import MemoryCache
from pixel_studio.services.integrations import webhook_delivery, webhook_queue
from pixel_studio.services.studio import compare, generation
from pixel_studio.settings import Settings
from tests.api.rest_helpers import api_client, bearer, make_world

CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_headers_conformance,
    st_checks.response_schema_conformance,
]


@pytest.fixture
def token_holder() -> dict[str, str]:
    return {}


@pytest.fixture
def api_world(
    db: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    token_holder: dict[str, str],
) -> Iterator[None]:
    # Jobs pile up queued here (no worker): without room, the per-user cap's 503 (documented,
    # but a 5xx to not_a_server_error) would end the run; tests/api/test_busy_api.py tests it.
    settings = settings.model_copy(update={"max_active_jobs_per_user": 1000})
    world = make_world(db, settings)
    token_holder["token"] = world.alice_token
    # Jobs are paid for and recorded, but go to no queue and announce to no page.
    monkeypatch.setattr(generation, "enqueue_job", lambda job_id, settings=None: None)
    monkeypatch.setattr(compare, "enqueue_job", lambda job_id, settings=None: None)
    # Webhook URLs are checked after a DNS lookup: generated names resolve to one public
    # address here (no lookup leaves the machine), and no delivery is sent.
    monkeypatch.setattr(webhook_delivery, "system_resolve", lambda host, port: ["93.184.216.34"])
    monkeypatch.setattr(webhook_queue, "dispatch", lambda ids, engine=None: None)
    monkeypatch.setattr(events, "publish", lambda event, settings=None: None)
    # The schema's app is built once (below); each test points its dependencies at this
    # test's database, settings and cache.
    with api_client(db, settings, MemoryCache()) as client:
        APP.dependency_overrides = dict(client.app.dependency_overrides)  # type: ignore[attr-defined]
        yield
        APP.dependency_overrides = {}


APP = create_api()
schema = from_asgi("/api/openapi.json", APP).include(path_regex="^/api/v1/")


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_schema(case: Any, api_world: None, token_holder: dict[str, str]) -> None:
    # Host belongs to the transport, not to the API: a request naming no host of this site is
    # refused before any route by the host guard, in Starlette's plain text (tested in
    # tests/api/test_hosts.py). Schemathesis sometimes sends an empty one among its headers.
    if case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "host"}
    case.call_and_validate(headers=bearer(token_holder["token"]), checks=CHECKS)
