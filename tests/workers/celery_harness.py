"""Real Celery worker processes for the pipeline tests and the benchmark.

Each worker runs `celery -A <app> worker` in its own process group, so a test can SIGKILL the
whole worker (main process and pool children) the way a crashed machine would, and teardown
can never leave a child behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pixel_studio.events import EventSource, JobEvent

REPO = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")
TERMINAL = ("succeeded", "failed", "cancelled")


class Worker:
    """One `celery worker` process group, logging to a file the test can read on failure."""

    def __init__(
        self,
        env: dict[str, str],
        queue: str,
        log_dir: Path,
        app: str = "workers.celery_app",
        *,
        include: Sequence[str] = (),
        path: Sequence[str] = (),
    ) -> None:
        """`include`: more task modules to import (a package's, beside workers.tasks);
        `path`: folders to put on the worker's PYTHONPATH after the repository."""
        name = f"ps-{uuid.uuid4().hex[:8]}"
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        args = [
            CELERY,
            "-A",
            app,
            "worker",
            "-P",
            "prefork",
            "-c",
            "2",
            "-Q",
            queue,
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            *([f"--include={','.join(include)}"] if include else []),
        ]
        self.proc = subprocess.Popen(
            args,
            cwd=REPO,
            # A worker on PostgreSQL refuses to start without SECRET_KEY: the caller's
            # wins, this default keeps a harness user who forgot it from a confusing hang.
            env={
                **os.environ,
                "SECRET_KEY": "test-worker-secret",
                **env,
                "PYTHONPATH": os.pathsep.join([str(REPO), *path]),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches the pool too
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"celery worker did not start:\n{self.log()[-3000:]}")

    def wait_for(self, done: Callable[[], bool], timeout: float = 30.0) -> None:
        """Poll `done` until it is true; fail at once, with the log, if the worker died."""
        deadline = time.monotonic() + timeout
        while not done():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"not done in {timeout} s; worker log:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the whole group: no shutdown handler runs, nothing is acknowledged."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


class EventLog:
    """Pops events from the Redis list and files them by job, in arrival order."""

    def __init__(self, source: EventSource) -> None:
        self.source = source
        self.by_job: dict[str, list[JobEvent]] = {}

    def wait(
        self, job_id: str, until: Callable[[JobEvent], bool], timeout: float = 30.0
    ) -> list[JobEvent]:
        deadline = time.monotonic() + timeout
        while True:
            seen = self.by_job.get(job_id, [])
            if seen and until(seen[-1]):
                return seen
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"job {job_id}: no matching event; got {seen}")
            event = self.source.next(min(left, 1.0))
            if event is not None:
                self.by_job.setdefault(event.job_id, []).append(event)

    def wait_end(self, job_id: str, timeout: float = 30.0) -> list[JobEvent]:
        return self.wait(job_id, lambda e: e.status in TERMINAL, timeout)


@contextmanager
def refusing_openai_peer() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server answering every image request like OpenAI's moderation refusal
    (400, code content_policy_violation). Yields (base URL for the client, request paths)."""
    paths: list[str] = []
    body = json.dumps(
        {
            "error": {
                "message": "Your request was rejected by the safety system.",
                "type": "invalid_request_error",
                "param": None,
                "code": "content_policy_violation",
            }
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            paths.append(self.path)
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", paths
    finally:
        server.shutdown()
        server.server_close()
