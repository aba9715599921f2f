"""The access log (issue 15, part 5): one line per HTTP request and per socket event, with the
route template, status, duration and request id, and never a secret; socket-event metrics by
handler. The browser-to-log path runs in a real browser in tests/e2e/test_errors_e2e.py."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from reflex_base.event import Event

from pixel_studio import metrics
from pixel_studio.access_log import AccessLogMiddleware
from pixel_studio.api import create_api
from pixel_studio.logging_setup import make_handler, request_id
from pixel_studio.settings import Settings, get_settings
from pixel_studio.state.event_log import EventLogMiddleware, handler_label
from tests.ops.test_metrics import sample

SECRETS = ("tok-SECRET-1", "cookie-SECRET-2", "query-SECRET-3", "a prompt SECRET-4")
STATE = "reflex___state____state.pixel_studio___state___create____create_state"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The access logger's lines as the production handler formats them (LOG_FORMAT=json)."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("pixel_studio.access")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_http_requests_each_get_one_line_without_secrets(
    settings: Settings, caplog: pytest.LogCaptureFixture, json_lines: io.StringIO
) -> None:
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    client = TestClient(api)
    caplog.set_level(logging.INFO, logger="pixel_studio.access")
    r = client.get(
        "/api/v1/generations/987654321",
        params={"token": SECRETS[2]},
        headers={"Authorization": f"Bearer {SECRETS[0]}", "Cookie": f"ps_session={SECRETS[1]}"},
    )
    assert r.status_code == 401
    client.get("/no/such/page-4242")
    records = [rec for rec in caplog.records if rec.name == "pixel_studio.access"]
    assert len(records) == 2
    first, second = lines(json_lines)
    assert first["message"].startswith("http GET /api/v1/generations/{job_id} 401 ")
    assert (first["kind"], first["event"], first["route"], first["status"]) == (
        "http",
        "GET",
        "/api/v1/generations/{job_id}",
        "401",
    )
    assert first["duration_ms"] >= 0
    assert first["request_id"] == r.headers["X-Request-ID"].replace("-", "")
    assert second["route"] == "unmatched" and second["status"] == "404"
    text = json_lines.getvalue() + " ".join(str(vars(rec)) for rec in records)
    for secret in (*SECRETS, "987654321", "4242"):
        assert secret not in text


def test_an_app_that_raises_is_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    caplog.set_level(logging.INFO, logger="pixel_studio.access")
    scope = {"type": "http", "method": "BREW", "path": "/x", "headers": []}
    with pytest.raises(RuntimeError):
        asyncio.run(AccessLogMiddleware(broken)(scope, None, None))  # type: ignore[arg-type]
    (record,) = [r for r in caplog.records if r.name == "pixel_studio.access"]
    assert record.getMessage().startswith("http OTHER unmatched 500 ")  # no free-text method


def test_handler_label_is_state_and_handler() -> None:
    assert handler_label(f"{STATE}.submit") == "create_state.submit"
    assert handler_label("plain") == "plain"


def _state(path: str) -> Any:
    return SimpleNamespace(router=SimpleNamespace(page=SimpleNamespace(path=path)))


APP = SimpleNamespace(_unevaluated_pages={"index": 0, "create": 0, "image/[image_id]": 0})


def run_event(name: str, path: str, outcome: str, seen: dict[str, str | None]) -> None:
    """One event as Reflex's processor runs it: a task of its own, the middleware first."""
    middleware = EventLogMiddleware()

    async def event_task() -> None:
        event = Event(name=name, payload={"prompt": SECRETS[3]})
        assert await middleware.preprocess(app=APP, state=_state(path), event=event) is None  # type: ignore[arg-type]
        seen["rid"] = request_id.get()
        logging.getLogger("pixel_studio.probe").info("inside the handler")
        if outcome == "error":
            raise RuntimeError("handler failed")
        if outcome == "cancelled":
            await asyncio.sleep(10)

    async def main() -> None:
        seen["outer"] = request_id.get()
        task = asyncio.create_task(event_task())
        if outcome == "cancelled":
            await asyncio.sleep(0.01)
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)  # the done callbacks run after the awaiter's wake-up
        seen["after"] = request_id.get()

    asyncio.run(main())


@pytest.mark.parametrize("outcome", ["ok", "error", "cancelled"])
def test_socket_events_get_a_line_a_request_id_and_metrics(
    outcome: str, caplog: pytest.LogCaptureFixture, json_lines: io.StringIO
) -> None:
    label = "create_state.submit"

    def counts() -> tuple[float, float]:
        text = metrics.render()[0].decode()
        return (
            sample(text, "pixel_studio_socket_events_total", handler=label, status=outcome),
            sample(text, "pixel_studio_socket_event_duration_seconds_count", handler=label),
        )

    before = counts()
    caplog.set_level(logging.INFO)
    seen: dict[str, str | None] = {}
    run_event(f"{STATE}.submit", "/create", outcome, seen)
    (line,) = lines(json_lines)
    assert line["message"].startswith(f"event {label} /create {outcome} ")
    assert (line["kind"], line["route"], line["status"]) == ("event", "/create", outcome)
    # The handler's own lines and the access line share the event's fresh request id, which
    # never leaks out of the event's task.
    assert seen["rid"] and line["request_id"] == seen["rid"]
    probe = [r for r in caplog.records if r.name == "pixel_studio.probe"]
    assert len(probe) == 1
    assert seen["outer"] is None and seen["after"] is None
    assert SECRETS[3] not in json_lines.getvalue() + caplog.text
    assert counts() == (before[0] + 1, before[1] + 1)


def test_a_route_the_app_does_not_have_is_logged_as_unknown(json_lines: io.StringIO) -> None:
    run_event(f"{STATE}.submit", "/u/alice-the-user", "ok", {})
    run_event(f"{STATE}.submit", "/image/[image_id]", "ok", {})
    first, second = lines(json_lines)
    assert first["route"] == "unknown" and "alice" not in json_lines.getvalue()
    assert second["route"] == "/image/[image_id]"


def test_the_app_runs_it_right_after_the_identity_check() -> None:
    """Identity first (a security rule: tests/e2e/test_identity_replay_e2e.py), then this."""
    from pixel_studio.pixel_studio import app
    from pixel_studio.state.identity import IdentityMiddleware

    kinds = [type(m) for m in app._middlewares]
    assert kinds[:2] == [IdentityMiddleware, EventLogMiddleware]


def test_work_started_inside_an_event_keeps_its_request_id() -> None:
    """A job submitted from a handler (request_context) is logged under the event's id, so
    one grep finds the event's access line and the job's lines."""
    from pixel_studio.logging_setup import request_context

    with request_context("event-rid") as outer, request_context() as inner:
        assert inner == outer == "event-rid"
    with request_context() as fresh:
        assert fresh and fresh != "event-rid"
    assert request_id.get() is None
