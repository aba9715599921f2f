"""An OpenAI-compatible image endpoint on loopback that refuses above a rate, like the real one.

It counts every request it sees (refused ones too) in a sliding one-second window of arrival
times; past `per_second` it answers 429 with Retry-After, as OpenAI does. It records the most
requests seen in any one-second window and the most in flight at once, and can hold requests
at a gate (a provider that is slow: workers held busy).
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def _png(size: str) -> bytes:
    width, _, height = size.partition("x")
    out = io.BytesIO()
    Image.new("RGB", (int(width), int(height)), "teal").save(out, format="PNG")
    return out.getvalue()


class RatePeer:
    def __init__(self, per_second: int, retry_after: int = 1) -> None:
        self.per_second = per_second
        self.retry_after = retry_after
        self.arrivals: list[float] = []  # monotonic, every request
        self.refused = 0
        self.served = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate = threading.Event()
        self.gate.set()  # clear it to hold requests until set again
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.refused = self.served = self.max_in_flight = 0

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def max_per_second(self) -> int:
        """The most requests that arrived within any one second."""
        times = sorted(self.arrivals)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def _admit(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.arrivals.append(now)
            recent = sum(1 for t in self.arrivals if now - t < 1.0)
            if recent > self.per_second:
                self.refused += 1
                return False
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return True

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _send(self, status: int, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not peer._admit():
                    error = {"message": "Rate limit reached", "type": "requests", "code": None}
                    body = json.dumps({"error": error}).encode()
                    self._send(429, body, **{"Retry-After": str(peer.retry_after)})
                    return
                try:
                    peer.gate.wait(30)
                    data = base64.b64encode(_png(request.get("size", "256x256"))).decode()
                    body = json.dumps({"created": 1, "data": [{"b64_json": data}]}).encode()
                    self._send(200, body)
                finally:
                    with peer.lock:
                        peer.in_flight -= 1
                        peer.served += 1

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        self.gate.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def rate_peer(per_second: int, retry_after: int = 1) -> Iterator[RatePeer]:
    peer = RatePeer(per_second, retry_after)
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()
