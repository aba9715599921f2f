"""Which browser origins the socket accepts: every loopback alias for a loopback SITE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pixel_studio.settings import Settings, site_origins

REPO = Path(__file__).resolve().parents[2]
LOOPBACK_3000 = ["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]


@pytest.mark.parametrize(
    "site_url",
    [
        "http://localhost:3000",
        "http://localhost:3000/",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
    ],
)
def test_a_loopback_site_accepts_every_loopback_alias_on_its_port(site_url: str) -> None:
    assert site_origins(site_url) == LOOPBACK_3000


def test_loopback_keeps_scheme_and_port() -> None:
    assert site_origins("https://LOCALHOST:8443") == [
        "https://localhost:8443",
        "https://127.0.0.1:8443",
        "https://[::1]:8443",
    ]
    assert site_origins("http://localhost") == [
        "http://localhost",
        "http://127.0.0.1",
        "http://[::1]",
    ]


@pytest.mark.parametrize(
    "site_url",
    [
        "https://studio.example.com",
        "https://studio.example.com/",
        "http://10.0.0.5:3000",
        "http://localhost.example.com:3000",
        "https://127.0.0.1.nip.io",
    ],
)
def test_any_other_site_stays_strict(site_url: str) -> None:
    assert site_origins(site_url) == [site_url.rstrip("/")]


def test_settings_expose_the_origins(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, site_url="http://localhost:8080")  # type: ignore[call-arg]
    assert "http://127.0.0.1:8080" in settings.socket_origins


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        ("http://localhost:3000", LOOPBACK_3000),
        ("https://studio.example.com", ["https://studio.example.com"]),
    ],
)
def test_rxconfig_hands_them_to_reflex(site_url: str, expected: list[str]) -> None:
    """What `make run` really configures: rxconfig read in a fresh interpreter."""
    env = {**os.environ, "SITE_URL": site_url}
    code = "import json, rxconfig; print(json.dumps(list(rxconfig.config.cors_allowed_origins)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected
