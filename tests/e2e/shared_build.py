"""One frontend build per test run, shared by every app server of the run's browser tests.

`make test` runs the browser tests on two pytest-xdist workers ("lanes", tests/
xdist_scheduling.py), each with an app server of its own on a port of its own. Reflex 0.10.1
bakes the server's port into the build: `set_env_json` writes the socket, upload and ping
addresses (`http://localhost:<port>/_event`, ...) to `.web/env.json`, which Vite bundles into
the `reflex-env` chunk of `.web/build/client`, and SITE_URL is in every page's og:image (HTML and
route modules). state.js's `getBackendURL` swaps the host name for the page's own, never the
port. So one build serves one port.

The first server of the run to start builds `.web` on its port, holding a lock the workers
share, and writes down the build (`BuildRecord`); a server on another port serves a copy of
`.web` with that port rewritten and the changed files' precompressed sidecars (.br, .gz) made
again, which takes seconds where a build takes minutes of CPU. Each server is told its own
copy through REFLEX_WEB_WORKDIR, which Reflex reads for everything the backend takes from
`.web` at run time (the static files, the routes manifest, `backend/`, `reflex.json`).
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Not copied: the packages only the build needs (hundreds of MB), and the build's lock.
NOT_COPIED = shutil.ignore_patterns("node_modules", "*.lock")
# The sidecars Reflex's compress-static.js writes beside a built file, by format
# (rxconfig's frontend_compression_formats).
SIDECARS = {".br": "brotli", ".gz": "gzip", ".zst": "zstd"}
# Text the build may hold an address in (compress-static.js's COMPRESSIBLE_EXTENSIONS).
TEXT = {".js", ".mjs", ".css", ".html", ".json", ".svg", ".xml", ".txt", ".map"}


@dataclass(frozen=True)
class BuildRecord:
    """The run's build in `.web`: the port it was made for, and its `_build_stamp()`."""

    port: int
    stamp: tuple[str, int]


class SharedBuild:
    """The run's one frontend build, in a folder every worker of the run sees."""

    def __init__(self, shared: Path, web: Path) -> None:
        self.web = web
        self._lock_path = shared / "e2e-build.lock"
        self._record_path = shared / "e2e-build.json"

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """Held by a server while it builds `.web` or copies it, so no other one reads a build
        that is being made. A lock on an open file: the kernel drops it if the holder dies."""
        with self._lock_path.open("a") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{self._lock_path} held for {timeout} s") from None
                    time.sleep(0.5)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def current(self, stamp: tuple[str, int] | None) -> BuildRecord | None:
        """The run's build, if `.web` (whose stamp is given) still holds it. Call under lock."""
        try:
            raw = json.loads(self._record_path.read_text())
        except (OSError, ValueError):
            return None
        record = BuildRecord(int(raw["port"]), (str(raw["stamp"][0]), int(raw["stamp"][1])))
        return record if stamp is not None and record.stamp == stamp else None

    def record(self, port: int, stamp: tuple[str, int] | None) -> None:
        """`.web` now holds the run's build, made for `port`. Call under lock."""
        if stamp is None:
            return  # no build to share: the next start builds again
        self._record_path.write_text(json.dumps({"port": port, "stamp": list(stamp)}))

    def web_for(self, record: BuildRecord, port: int, copies: Path) -> Path:
        """The web dir a server on `port` serves: `.web` itself for the port it was built
        for, else a copy in `copies` for this port (made once per build). Call under lock."""
        if port == record.port:
            return self.web
        target = copies / f"web-{port}"
        marker = target / ".e2e-build.json"
        wanted = json.dumps({"from": list(record.stamp), "port": port})
        if marker.is_file() and marker.read_text() == wanted:
            return target
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.web, target, ignore=NOT_COPIED, symlinks=True)
        rewrite_port(target, record.port, port)
        marker.write_text(wanted)
        return target


def rewrite_port(web: Path, old: int, new: int) -> list[Path]:
    """Point every file of a web dir at `localhost:new` instead of `localhost:old`, and make
    the changed files' sidecars again. Returns the files changed."""
    pattern = re.compile(rb"(?<![\w.-])localhost:%d(?!\d)" % old)
    replacement = b"localhost:%d" % new
    changed = []
    for path in sorted(web.rglob("*")):
        if path.suffix.lower() not in TEXT or not path.is_file() or path.is_symlink():
            continue
        fresh, count = pattern.subn(replacement, path.read_bytes())
        if count:
            path.write_bytes(fresh)
            changed.append(path)
    recompress(web, [path for path in changed if _sidecars(path)])
    return changed


def _sidecars(path: Path) -> list[Path]:
    return [s for s in (path.with_name(path.name + x) for x in SIDECARS) if s.is_file()]


def recompress(web: Path, files: list[Path]) -> None:
    """New sidecars for `files`, made by the build's own compressor (`.web/compress-static.js`,
    the formats their old sidecars had) on a copy of just those files."""
    if not files:
        return
    formats = sorted({SIDECARS[s.name[len(f.name) :]] for f in files for s in _sidecars(f)})
    runtime = shutil.which("node") or shutil.which("bun")
    if runtime is None:
        raise RuntimeError("node or bun is needed to compress the copied build")
    with tempfile.TemporaryDirectory() as staging:
        # Flat, one name per file; the extension kept, as the compressor picks files by it.
        staged = {f: Path(staging) / f"f{i}{f.suffix}" for i, f in enumerate(files)}
        for original, copy in staged.items():
            shutil.copyfile(original, copy)
        script = web / "compress-static.js"
        subprocess.run([runtime, str(script), staging, *formats], cwd=web, check=True)
        for original, copy in staged.items():
            for old in _sidecars(original):
                suffix = old.name[len(original.name) :]
                made = copy.with_name(copy.name + suffix)
                if made.is_file():
                    shutil.move(made, old)
                else:  # never served with the old address
                    old.unlink()
