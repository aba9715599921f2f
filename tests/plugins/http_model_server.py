"""A tiny process-less "HTTP model" on loopback: the protocol examples/http_provider speaks.

`/generate` answers a PNG of the asked size in a colour derived from the seed; `/edit` the
source image, inverted, at the asked size. Every request body is kept for the test to read.
Run it as a script (python -m tests.plugins.http_model_server PORT) for the browser tests.
"""

from __future__ import annotations

import base64
import io
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image, ImageOps


def colour_for(seed: int) -> tuple[int, int, int]:
    return (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


class ModelServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: tuple[int, str] | None = None  # (status, body) for every answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ModelServer

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.requests.append((self.path, body))
        if self.server.fail_with is not None:
            self._send(self.server.fail_with[0], self.server.fail_with[1].encode(), "text/plain")
        elif self.path == "/generate":
            size = (body["width"], body["height"])
            self._send(200, _png(Image.new("RGB", size, colour_for(body["seed"]))), "image/png")
        elif self.path == "/edit":
            with Image.open(io.BytesIO(base64.b64decode(body["source_png"]))) as src:
                out = ImageOps.invert(src.convert("RGB")).resize((body["width"], body["height"]))
            self._send(200, _png(out), "image/png")
        else:
            self._send(404, b"no such endpoint", "text/plain")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: a test's output is not the place for an access log."""


@contextmanager
def serve(port: int = 0) -> Iterator[ModelServer]:
    server = ModelServer(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    ModelServer(int(sys.argv[1])).serve_forever()
