"""JSON logs with the request id: from an HTTP request, a socket-style submission, and into the
in-process job thread (the Celery side: tests/ops/test_worker_observability.py)."""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pixel_studio import job_queue
from pixel_studio.api import create_api
from pixel_studio.logging_setup import make_handler, request_context, request_id
from pixel_studio.services.studio import jobs
from pixel_studio.settings import Settings

probe_log = logging.getLogger("pixel_studio.tests.probe")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything logged under pixel_studio, formatted as production's JSON handler does."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("pixel_studio")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_logs_json_with_its_request_id(json_lines: io.StringIO) -> None:
    api = create_api()

    @api.get("/probe-log")
    def probe() -> dict[str, str]:
        probe_log.info("handling the probe")
        return {"ok": "yes"}

    client = TestClient(api)
    sent = uuid.uuid4().hex
    resp = client.get("/probe-log", headers={"X-Request-ID": sent})
    assert resp.status_code == 200
    assert resp.headers["X-Request-ID"] == sent  # echoed: a client can quote it in a report

    # No header (or one that is not a UUID: no log injection) gets a fresh id.
    fresh = client.get("/probe-log", headers={"X-Request-ID": "evil\nline"})
    new_id = fresh.headers["X-Request-ID"]
    assert new_id != "evil\nline" and uuid.UUID(new_id)

    lines = [r for r in records(json_lines) if r["message"] == "handling the probe"]
    assert [r["request_id"] for r in lines] == [sent, new_id]
    assert {"time", "level", "logger", "process"} <= set(lines[0])
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "pixel_studio.tests.probe"


def test_outside_any_request_the_id_is_a_dash(json_lines: io.StringIO) -> None:
    probe_log.info("background")
    assert records(json_lines)[-1]["request_id"] == "-"


def test_text_format_shows_the_request_id() -> None:
    stream = io.StringIO()
    handler = make_handler("text", stream)
    probe_log.addHandler(handler)
    try:
        with request_context("abc123"):
            probe_log.warning("plain")
    finally:
        probe_log.removeHandler(handler)
    assert "[abc123] plain" in stream.getvalue()


def test_the_in_process_job_thread_carries_the_submitting_request_id(
    json_lines: io.StringIO, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """jobs.enqueue_job without a broker hands the job to a pool thread: the id follows."""
    seen: list[str | None] = []
    ran = threading.Event()

    def fake_run_job(job_id: str) -> None:
        seen.append(request_id.get())
        ran.set()

    monkeypatch.setattr("pixel_studio.services.studio.jobs.run_job", fake_run_job)
    try:
        with request_context() as rid:
            jobs.enqueue_job("job-abc", settings)
        # The submitter's context ended; the thread still has its copy.
        assert request_id.get() is None
        assert ran.wait(10)
    finally:
        job_queue.shutdown()
    assert seen == [rid]
    worker_lines = [r for r in records(json_lines) if "job-abc" in str(r["message"])]
    assert [r["message"] for r in worker_lines] == [
        "job job-abc: in-process worker starts",
        "job job-abc: in-process worker done",
    ]
    assert {r["request_id"] for r in worker_lines} == {rid}
