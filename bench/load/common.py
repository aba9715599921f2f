"""What the two load benchmarks share: the environment a production process gets, starting a
command in its own process group and stopping exactly that group, readiness, RSS, percentiles.

Everything started here is started with `start_new_session=True`, so its PID is also the id of
a process group holding it and its children (granian workers, honcho's processes); teardown
signals that group by its id and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port(consecutive: int = 1) -> int:
    """A loopback port with `consecutive - 1` free ports after it (honcho numbers web.N)."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + consecutive < 65000 and all(
            status(f"http://127.0.0.1:{port + i}/") == 0 for i in range(1, consecutive)
        ):
            return port
    raise RuntimeError("no free loopback ports")


def base_env(data_dir: Path, site_port: int) -> dict[str, str]:
    """The caller's environment plus what `reflex run` needs here (bun from tools/, no
    telemetry) and a throwaway data folder: local storage, as the brief's topology has."""
    env = dict(os.environ)
    bins = [str(REPO / "tools" / "node_modules" / ".bin"), str(BIN)]
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
    for name in ("S3_BUCKET", "GOOGLE_CLIENT_ID", "STRIPE_SECRET_KEY", "SENTRY_DSN"):
        env.pop(name, None)  # local storage, nothing external, whatever the caller's shell has
    env["DATA_DIR"] = str(data_dir)
    env["SITE_URL"] = f"http://127.0.0.1:{site_port}"
    env["API_URL"] = f"http://127.0.0.1:{site_port}"
    env["SECRET_KEY"] = "load-bench-secret"
    env["LOG_LEVEL"] = "WARNING"
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `args` in a new process group (its PID), output to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group this script started (by its PID), SIGKILL it if it lingers."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def wait_ready(
    urls: list[str], procs: list[subprocess.Popen[bytes]], log: Path, timeout: float = 240
) -> None:
    deadline = time.monotonic() + timeout
    while not all(status(url) == 200 for url in urls):
        if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            raise RuntimeError(f"not ready: {urls}\n{tail}")
        time.sleep(1)


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
