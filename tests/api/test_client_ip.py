"""The address the per-IP login limit counts: X-Forwarded-For only through trusted proxies."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

from pixel_studio.api.deps import client_ip
from pixel_studio.settings import Settings


def request(forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "headers": headers, "client": ("10.0.0.5", 1234)})


def settings(tmp_path: Path, hops: int) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, trusted_proxy_hops=hops)  # type: ignore[call-arg]


def test_header_ignored_without_trusted_proxies(tmp_path: Path) -> None:
    assert client_ip(request("1.2.3.4"), settings(tmp_path, 0)) == "10.0.0.5"


def test_one_proxy_hop_takes_the_address_it_saw(tmp_path: Path) -> None:
    # The client may forge the left part; the proxy appends what it really saw.
    assert client_ip(request("6.6.6.6, 1.2.3.4"), settings(tmp_path, 1)) == "1.2.3.4"
    assert client_ip(request("6.6.6.6, 1.2.3.4"), settings(tmp_path, 2)) == "6.6.6.6"


def test_short_header_falls_back_to_the_peer(tmp_path: Path) -> None:
    assert client_ip(request(None), settings(tmp_path, 1)) == "10.0.0.5"
    assert client_ip(request("1.2.3.4"), settings(tmp_path, 2)) == "10.0.0.5"
