"""The real app for browser tests: `reflex run --env prod --single-port` on a free port.

One server per test session, on a throwaway data directory (SQLite, media), migrated first
because the app does not migrate itself. Chromium is Debian's (`/usr/bin/chromium`): never
`playwright install`, which downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
START_TIMEOUT = 180  # a cold build (bun install) takes longer than the usual ~10 s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app_env(data_dir: Path, port: int) -> dict[str, str]:
    """What /tmp/rxenv.sh sets, derived from the repo (no registry address is written down)."""
    env = dict(os.environ)
    bins = [str(REPO / "tools" / "node_modules" / ".bin"), str(Path(sys.executable).parent)]
    env["PATH"] = os.pathsep.join([*bins, env.get("PATH", "")])
    env.setdefault("REFLEX_DIR", str(REPO / ".reflex"))
    env.setdefault("BUN_INSTALL_CACHE_DIR", str(REPO / ".reflex" / "bun-cache"))
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    env["REFLEX_CHECK_LATEST_VERSION"] = "0"
    if "NPM_CONFIG_REGISTRY" not in env and (npm := shutil.which("npm", path=env["PATH"])):
        registry = subprocess.run(
            [npm, "config", "get", "registry"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if registry:
            env["NPM_CONFIG_REGISTRY"] = registry
    for name in ("DATABASE_URL", "REDIS_URL", "S3_BUCKET", "GOOGLE_CLIENT_ID"):
        env.pop(name, None)  # the embedded profile, whatever the caller's shell has
    env["DATA_DIR"] = str(data_dir)
    env["SITE_URL"] = f"http://localhost:{port}"
    env["SECRET_KEY"] = "e2e-secret"
    return env


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (frontend build, workers): its process group."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = int(os.environ.get("E2E_PORT") or _free_port())
    env = _app_env(data_dir, port)
    subprocess.run(
        [sys.executable, "-c", "from pixel_studio.migrations import upgrade; upgrade()"],
        cwd=REPO,
        env=env,
        check=True,
    )
    log_path = data_dir / "reflex.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "reflex"),
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches every child
        )
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _get(f"{base}/healthz") != 200 or _get(f"{base}/") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                pytest.fail(f"the app did not start on {base}:\n{tail}")
            time.sleep(0.5)
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    """pytest-playwright resolves `page.goto("/path")` against this."""
    return app_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    path = Path(os.environ.get("E2E_SHOTS_DIR", "/tmp/shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path
