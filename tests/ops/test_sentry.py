"""Sentry is off without SENTRY_DSN; with one, an error reaches it (a loopback peer)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pixel_studio.logging_setup import init_sentry
from pixel_studio.settings import Settings
from tests.workers.celery_harness import REPO


def test_no_dsn_no_sentry(settings: Settings) -> None:
    assert init_sentry("backend", settings) is False
    assert "sentry_sdk" not in sys.modules or not _sentry_active()


def _sentry_active() -> bool:
    import sentry_sdk

    return bool(sentry_sdk.get_client().is_active())


def test_with_a_dsn_a_logged_error_is_sent() -> None:
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                import brotli  # type: ignore[import-not-found]

                body = brotli.decompress(body)
            bodies.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/1"
        script = (
            "import logging, sentry_sdk\n"
            "from pixel_studio.logging_setup import configure_logging\n"
            "configure_logging('cli')\n"
            "logging.getLogger('pixel_studio.probe').error('sentry probe 7731')\n"
            "sentry_sdk.flush(5)\n"
        )
        env = {**os.environ, "SENTRY_DSN": dsn, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=env, timeout=60, check=False
        )
        assert done.returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    assert any(b"sentry probe 7731" in body for body in bodies)
