"""Small real HTTP peers on loopback for the provider tests.

A stdlib ThreadingHTTPServer on 127.0.0.1 (a free port) that records every request and answers
with whatever the test's responder returns, optionally after a delay (to trigger timeouts).
The official clients talk to it over real sockets, so serialisation, headers, status codes and
timeouts all go through their normal code paths.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class FormPart:
    """One field of a multipart/form-data body, as the server received it."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode()

    def image(self) -> Image.Image:
        img = Image.open(io.BytesIO(self.data))
        img.load()
        return img


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names: clients differ in header case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, FormPart]:
        """Parse a multipart/form-data body (the way a server would) into its fields."""
        ctype = self.headers.get("content-type", "")
        assert ctype.startswith("multipart/form-data"), ctype
        head = f"Content-Type: {ctype}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=policy.HTTP).parsebytes(head + self.body)
        assert message.is_multipart()
        fields: dict[str, FormPart] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            assert isinstance(name, str) and name not in fields, name
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            filename = part.get_filename()
            fields[name] = FormPart(
                name=name,
                data=payload,
                filename=filename,
                content_type=part.get_content_type() if filename else None,
            )
        return fields


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200, **headers: str) -> Reply:
        hdrs = {"Content-Type": "application/json", **headers}
        return cls(status=status, body=json.dumps(payload).encode(), headers=hdrs)


Responder = Callable[[Recorded], Reply]


class Peer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.responder: Responder = lambda _req: Reply(status=500, body=b"no responder set")
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reply(self, reply: Reply) -> None:
        """Answer every request with the same reply."""
        self.responder = lambda _req: reply

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                rec = Recorded(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                peer.requests.append(rec)
                reply = peer.responder(rec)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # keep test output clean

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True  # a handler still sleeping must not block shutdown
        self._server = server
        # A short poll interval: shutdown() waits for one poll, 0.5 s by default, per test.
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def running_peer() -> Iterator[Peer]:
    peer = Peer()
    peer.start()
    try:
        yield peer
    finally:
        peer.stop()


def image_bytes(width: int, height: int, fmt: str = "PNG", color: str = "teal") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format=fmt)
    return buf.getvalue()


def free_port() -> int:
    """A port nothing listens on (bound then released), for connection-refused tests."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
