"""The real app for browser tests: `reflex run --env prod --single-port` on a free port.

One server at a time per test session, on a throwaway data directory, migrated first because
the app does not migrate itself. Tests run against the embedded profile (SQLite, local media,
in-process jobs) unless they parametrize `app_profile` with "production" (PostgreSQL, Redis,
S3 on loopback, a Celery worker: tests/e2e/production.py). Chromium is Debian's
(`/usr/bin/chromium`): never `playwright install`, which downloads a browser.

The frontend is built once per run, by the first start; later starts (another profile, or
another xdist worker's server) serve that build (tests/e2e/serve_built.py). The profiles differ
only in backend settings: compiling the app under each profile's environment gives the same
`.web` sources, since the example plugins (their page too) are installed for every profile and
the port, the one thing of the server the frontend bakes in, is the same for a worker's whole
session. A server on another port (`make test` runs the browser tests on two workers) serves a
copy of the build with its own port written in (tests/e2e/shared_build.py).
"""

from __future__ import annotations

import os
import random
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

from tests.e2e.shared_build import SharedBuild

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
# How long a start waits for another worker's server to finish building `.web`.
BUILD_WAIT = 2 * START_TIMEOUT
WEB = REPO / ".web"
# How long each app-server start took, for the session summary (the build is the slow part).
STARTS: list[tuple[str, str, float]] = []


def profile_of(item: pytest.Item) -> str:
    """The app profile a browser test runs against: its `app_profile` parameter, else its
    `app_profile` mark (modules that serve their own profile), else the embedded one."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "app_profile" in callspec.params:
        return str(callspec.params["app_profile"])
    mark = item.get_closest_marker("app_profile")
    return str(mark.args[0]) if mark else "embedded"


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture scope
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests grouped by app profile, the embedded one first: the server restarts (a
    frontend build each) only when the profile changes, so once per profile instead of at
    every switch in file order. The sort is stable: a module's tests keep their order."""
    first_seen: dict[str, int] = {"embedded": -1}
    browser = [item for item in items if "tests/e2e/" in item.nodeid.replace("\\", "/")]
    for item in browser:
        first_seen.setdefault(profile_of(item), len(first_seen))
    ranked = iter(sorted(browser, key=lambda item: first_seen[profile_of(item)]))
    browser_ids = {id(item) for item in browser}
    items[:] = [next(ranked) if id(item) in browser_ids else item for item in items]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Each app-server start and its time: one frontend build, then backend-only starts."""
    for profile, how, seconds in STARTS:
        terminalreporter.write_line(f"e2e app start: {profile:<12} {how:<10} {seconds:6.1f} s")


def _build_stamp() -> tuple[str, int] | None:
    """What identifies `.web`'s current build: the backend address it bakes in and when its
    index was written. Another `reflex run` from this checkout (`make run`, bench/web_vitals.py)
    rebuilds `.web` and changes it; then the next start has to build again."""
    env_json, index = WEB / "env.json", WEB / "build" / "client" / "index.html"
    if not env_json.is_file() or not index.is_file():
        return None
    return env_json.read_text(), index.stat().st_mtime_ns


def free_port(count: int = 1) -> int:
    """The first of `count` consecutive loopback ports that bind now.

    Drawn below the kernel's ephemeral range: a port from `bind(0)` and its neighbours are ones
    the kernel also hands to outgoing connections, and in one CI run such a connection took a
    test server's port between the check and the server's own bind ("Address already in use")."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        port = random.randrange(10_000, low - count)
        if all(_binds(port + i) for i in range(count)):
            return port
    raise RuntimeError(f"no {count} free consecutive ports")


def _binds(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


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
    # Every browser test signs up from 127.0.0.1, and the production profile's limiter lives in
    # Redis for the whole run: the per-network sign-up limit (5 an hour) would refuse the later
    # ones. The limit itself is tested over HTTP and in the form (tests/api, tests/state).
    env["SIGNUPS_PER_WINDOW"] = "1000"
    # And log-ins, 10 per network per 15 minutes: with the browser tests grouped by profile the
    # embedded server (its limiter in memory) now serves dozens of them without a restart.
    env["LOGIN_ATTEMPTS_PER_WINDOW"] = "1000"
    # Likewise reads: a public page's first data also comes over HTTP (components/first_paint.py),
    # a read per page view from the same 127.0.0.1. The read limit has its own tests.
    env["RATE_LIMIT_READ"] = "100000/minute"
    # Webhook receivers in these tests listen on loopback (test_webhooks_e2e.py).
    env["WEBHOOKS_ALLOW_PRIVATE"] = "1"
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


class AppServer:
    """The app on one fixed port, one profile at a time.

    A test asks for a profile (`app_profile`); the server restarts only when it changes. The
    port never changes: the frontend build bakes it in (tests/e2e/shared_build.py), and
    pytest-playwright's `base_url` is fixed for the session. Each server has its own states
    folder (`reflex run` empties it at start) and, if its port is not the one `.web` was
    built for, its own copy of the build.
    """

    def __init__(self, port: int, root: Path, build: SharedBuild) -> None:
        self.port = port
        self.root = root
        self.base = f"http://localhost:{port}"
        self.profile: str | None = None
        self.build = build
        self._proc: subprocess.Popen[bytes] | None = None

    def use(self, profile: str, extra_env: dict[str, str] | None = None) -> str:
        if profile != self.profile:
            self.stop()
            self._start(profile, extra_env or {})
        return self.base

    def ensure_built(self) -> None:
        """The run's frontend build is in `.web` (made by an embedded start if not yet)."""
        with self.build.lock(BUILD_WAIT):
            if self.build.current(_build_stamp()) is not None:
                return
        self.use("embedded")

    def _start(self, profile: str, extra_env: dict[str, str]) -> None:
        data_dir = self.root / profile
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {**_app_env(data_dir, self.port), **extra_env}
        env["REFLEX_STATES_WORKDIR"] = str(self.root / "states")
        subprocess.run(
            [sys.executable, "-c", "from pixel_studio.migrations import upgrade; upgrade()"],
            cwd=REPO,
            env=env,
            check=True,
        )
        # Held through a build, so the other worker's server waits for it instead of building
        # too, and through a copy, so no build changes `.web` under it.
        with self.build.lock(BUILD_WAIT):
            record = self.build.current(_build_stamp())
            if record is None:
                self._run(profile, env, build=True)
                self.build.record(self.port, _build_stamp())
                return
            env["REFLEX_WEB_WORKDIR"] = str(self.build.web_for(record, self.port, self.root))
        self._run(profile, env, build=False)

    def _run(self, profile: str, env: dict[str, str], build: bool) -> None:
        """`reflex run`, or without compile and build if the run's build is there; until the
        app answers."""
        log_path = self.root / profile / "reflex.log"
        reflex_run = (
            [str(Path(sys.executable).parent / "reflex"), "run"]
            if build
            else [sys.executable, "-m", "tests.e2e.serve_built"]
        )
        started = time.monotonic()
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [
                    *reflex_run,
                    "--env",
                    "prod",
                    "--single-port",
                    "--frontend-port",
                    str(self.port),
                    "--backend-port",
                    str(self.port),
                    "--backend-host",
                    "127.0.0.1",  # loopback only: a test server is nobody else's business
                ],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: teardown reaches every child
            )
        self._proc, self.profile = proc, profile
        deadline = time.monotonic() + START_TIMEOUT
        while _get(f"{self.base}/healthz") != 200 or _get(f"{self.base}/") != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                self.stop()
                pytest.fail(f"the app ({profile}) did not start on {self.base}:\n{tail}")
            time.sleep(0.5)
        STARTS.append((profile, "built" if build else "reused", time.monotonic() - started))

    def stop(self) -> None:
        if self._proc is not None:
            _stop(self._proc)
        self._proc, self.profile = None, None


def _session_port() -> int:
    """A free port; E2E_PORT if set, plus the xdist worker's number (gw1: E2E_PORT + 1)."""
    fixed = os.environ.get("E2E_PORT")
    if not fixed:
        return free_port()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(fixed) + int(worker.removeprefix("gw") or 0)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    # The run's folder, which every xdist worker of the run sees (each worker's basetemp is a
    # folder in it); without xdist, the session's own.
    run_dir = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_dir = run_dir.parent
    build = SharedBuild(run_dir, WEB)
    server = AppServer(_session_port(), tmp_path_factory.mktemp("e2e"), build)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    """The app's address; the embedded profile unless a test asks for another."""
    return app_server.use("embedded")


@pytest.fixture(scope="session")
def production_env(
    app_server: AppServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """PostgreSQL, Redis, S3 (moto) and a Celery worker, started on first use (tests/e2e/
    production.py). The app is stopped before they go: it must not outlive its database."""
    from tests.e2e.production import production_services

    with production_services(tmp_path_factory.mktemp("e2e-production")) as env:
        try:
            yield env
        finally:
            if app_server.profile == "production":
                app_server.stop()


@pytest.fixture(scope="session")
def model_server() -> Iterator[Any]:
    """The example HTTP model plugin's model process (tests/plugins/http_model_server.py), on
    loopback, for the "plugins" profile: the app's worker calls it."""
    from tests.plugins.http_model_server import serve

    with serve() as server:
        yield server


@pytest.fixture(scope="session")
def plugins_env(model_server: Any) -> dict[str, str]:
    """The embedded profile with the example plugins configured (make test installs them)."""
    return {"HTTP_MODEL_URL": model_server.url}


@pytest.fixture
def app_profile(request: pytest.FixtureRequest) -> str:
    """Which profile a test runs against: parametrize it with `indirect=True`."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture(autouse=True)
def _serve_app_profile(
    request: pytest.FixtureRequest, app_server: AppServer, app_url: str, app_profile: str
) -> None:
    if app_profile == "production":
        app_server.use("production", request.getfixturevalue("production_env"))
    elif app_profile == "plugins":
        app_server.use("plugins", request.getfixturevalue("plugins_env"))
    else:
        app_server.use(app_profile)


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
