"""The Procfile's production topology, started the way the README says: `pixel-studio db
upgrade`, `pixel-studio metrics reset`, `honcho start -c web=2,worker=1` — two Reflex backends
(`reflex run --env prod --single-port`, each its own port) and a Celery worker, on PostgreSQL,
Redis and S3 (moto) on loopback, with the local-sketch model. One generation end to end over
HTTP: sign up on backend 1, submit through REST API v1 with a Bearer token, follow the job on
backend 2, fetch the image; the submitter's request id in the worker's JSON log lines; /metrics
on either backend adds up every process. No browser: the socket is covered by the other e2e
tests.

The Procfile runs as written, but the `reflex` it finds first on PATH is a shim that runs
`reflex run` without its compile and frontend build steps (tests/e2e/serve_built.py): both
backends serve the build the session already made. Building here cost two frontend builds
(one per web process, minutes of CPU) and, as they rebaked `.web` for this test's port, a third
at the next session app start. The build itself is what every other browser test's first
start does; what this test checks (processes, ports, database, broker, logs, metrics) is the
same either way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from pixel_studio.db import make_engine
from pixel_studio.services.accounts import api_tokens
from pixel_studio.services.users import find_by_username
from tests.db_fixtures import create_pg_database, drop_pg_database, pg_url
from tests.e2e.conftest import (
    REPO,
    START_TIMEOUT,
    AppServer,
    _app_env,
    _get,
    free_port,
)
from tests.e2e.production import REGION, aws_env, public_bucket
from tests.redis_fixtures import claimed_redis_db

# A profile of its own, so it runs after every other browser test (conftest ranks profiles by
# first appearance, this file comes late): its backends run beside the session's app.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600), pytest.mark.app_profile("procfile")]
BIN = Path(sys.executable).parent


# `reflex run ARGS` becomes `python -m tests.e2e.serve_built ARGS` (Reflex's own run command,
# minus compile and build); anything else goes to the real reflex.
REFLEX_SHIM = """#!/bin/sh
if [ "$1" = run ]; then
  shift
  exec "{python}" -m tests.e2e.serve_built "$@"
fi
exec "{reflex}" "$@"
"""


@pytest.fixture(autouse=True)
def _serve_app_profile(app_server: AppServer) -> None:
    """Overrides conftest's: the session's app is not needed, but the run's frontend build is
    (another worker's server may be making it). Run alone, this file makes it with one session
    start (the server is left running, idle)."""
    app_server.ensure_built()


def _reflex_shim(tmp_path: Path) -> Path:
    """A folder holding the `reflex` shim, to put first on the Procfile's PATH."""
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    shim = shim_dir / "reflex"
    shim.write_text(REFLEX_SHIM.format(python=sys.executable, reflex=BIN / "reflex"))
    shim.chmod(0o755)
    return shim_dir


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        name = create_pg_database()
        stack.callback(drop_pg_database, name)
        redis_url = stack.enter_context(claimed_redis_db())
        endpoint, bucket = stack.enter_context(public_bucket())
        port = free_port(2)  # honcho gives web.1 PORT, web.2 PORT+1
        prom = tmp_path / "prom"
        app_env = _app_env(tmp_path, port)
        env = {
            **app_env,
            "PATH": os.pathsep.join([str(_reflex_shim(tmp_path)), app_env["PATH"]]),
            **aws_env(tmp_path),
            "DATABASE_URL": pg_url(name),
            "REDIS_URL": redis_url,
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": REGION,
            "CELERY_QUEUE": f"procfile-{uuid.uuid4().hex[:8]}",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "API_URL": f"http://127.0.0.1:{port}",  # as in production: one frontend, any backend
            "LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": str(prom),
            "GRANIAN_WORKERS": "2",  # several processes per backend, few on a 2-core machine
            "WORKER_CONCURRENCY": "1",
            "SECRET_KEY": "procfile-secret",
        }
        for step in (["db", "upgrade"], ["metrics", "reset"]):
            subprocess.run([str(BIN / "pixel-studio"), *step], cwd=REPO, env=env, check=True)
        log_path = tmp_path / "honcho.log"
        log = stack.enter_context(log_path.open("wb"))
        args = [str(BIN / "honcho"), "start", "-f", "Procfile", "-c", "web=2,worker=1"]
        proc = subprocess.Popen(
            [*args, "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(_stop, proc)
        env["WEB1"], env["WEB2"], env["LOG"] = (
            f"http://127.0.0.1:{port}",
            f"http://127.0.0.1:{port + 1}",
            str(log_path),
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not all(_get(f"{env[w]}/readyz") == 200 for w in ("WEB1", "WEB2")):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Procfile did not start:\n{log_path.read_text()[-5000:]}")
            time.sleep(1)
        yield env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # honcho stops every process it started
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _log_records(path: str, process: str) -> list[dict[str, object]]:
    """honcho prefixes each line with `HH:MM:SS name.N | `; JSON log lines follow it."""
    out = []
    for line in Path(path).read_text(errors="replace").splitlines():
        prefix, _, rest = line.partition(" | ")
        if process in prefix and rest.startswith("{"):
            out.append(json.loads(rest))
    return out


def test_procfile_topology_serves_a_generation_end_to_end(topology: dict[str, str]) -> None:
    web1, web2 = httpx.Client(base_url=topology["WEB1"]), httpx.Client(base_url=topology["WEB2"])
    ready = web2.get("/readyz").json()["checks"]
    assert ready == {"database": "ok", "redis": "ok", "broker": "ok"}

    signup = web1.post(
        "/api/auth/signup",
        json={"username": "procfile", "email": "procfile@example.com", "password": "long enough!"},
    )
    assert signup.status_code == 201, signup.text
    # Tokens are made on the settings page; here through its service, on the same database.
    engine = make_engine(topology["DATABASE_URL"])
    with Session(engine) as session:
        user = find_by_username(session, "procfile")
        assert user is not None and user.id is not None
        token = api_tokens.create_token(session, user.id, "procfile test").secret
    engine.dispose()
    bearer = {"Authorization": f"Bearer {token}"}

    rid = uuid.uuid4().hex
    created = web1.post(
        "/api/v1/generations",
        json={"model": "local-sketch", "prompt": "a tram in the rain", "size": "256x256"},
        headers={**bearer, "X-Request-ID": rid},
    )
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-ID"] == rid
    job_id = created.json()["id"]

    deadline = time.monotonic() + 90
    while True:
        job = web2.get(f"/api/v1/generations/{job_id}", headers=bearer).json()
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] == "succeeded", job
    image = httpx.get(job["images"][0]["url"])
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"

    # The request id of the submission, in the worker's JSON lines for that job.
    deadline = time.monotonic() + 10
    while True:
        lines = _log_records(topology["LOG"], "worker.1")
        worker = [r for r in lines if str(r["message"]).startswith(f"job {job_id}:")]
        if len(worker) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [r["message"] for r in worker] == [
        f"job {job_id}: worker starts",
        f"job {job_id}: worker done",
    ]
    assert {r["request_id"] for r in worker} == {rid}

    # Either backend's /metrics sums every process: web.1's POST and the worker's job.
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(web2.get("/metrics").text)
        for s in fam.samples
    }
    post = ("method", "POST"), ("route", "/api/v1/generations"), ("status", "201")
    assert samples[("pixel_studio_http_requests_total", post)] == 1
    assert samples[("pixel_studio_jobs_total", (("status", "queued"),))] == 1
    assert samples[("pixel_studio_jobs_total", (("status", "succeeded"),))] == 1
    assert samples[("pixel_studio_queue_depth", ())] == 0
