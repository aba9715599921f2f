"""The served app (`reflex run --env prod --single-port`, loopback SITE_URL, as `make run`)
refuses a foreign Host on pages, routes and the /_event socket handshake, and still serves
every loopback name (issue 13, item 7). Raw HTTP over a socket: a browser cannot be made to
send a Host header of our choosing, an attacker's DNS can."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

HANDSHAKE = "/_event/?EIO=4&transport=websocket"


def raw_status(base_url: str, path: str, host: str, extra: str = "") -> int:
    """The status of one request to the app's port with this Host header."""
    port = urlsplit(base_url).port
    with socket.create_connection(("127.0.0.1", port or 80), timeout=10) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
        sock.sendall(request.encode())
        first = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(first.split()[1])


def upgrade(origin: str) -> str:
    return (
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: {origin}\r\n"
    )


def test_a_foreign_host_is_refused_and_loopback_names_served(base_url: str) -> None:
    port = urlsplit(base_url).port
    for path in ("/", "/explore", "/healthz", "/api/v1/me"):
        assert raw_status(base_url, path, f"evil.example:{port}") == 400, path
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            assert raw_status(base_url, path, host) in (200, 307, 401), (path, host)  # served
    # The socket handshake: our names upgrade (101), a rebinding Host is refused.
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert raw_status(base_url, HANDSHAKE, host, upgrade(f"http://{host}")) == 101, host
    evil = f"evil.example:{port}"
    assert raw_status(base_url, HANDSHAKE, evil, upgrade(f"http://{evil}")) in (400, 403)
