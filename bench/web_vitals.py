"""Core Web Vitals of the public pages, measured with Lighthouse 12 (issue 16).

What it starts (all loopback, torn down by PID at the end, also on Ctrl-C): a throwaway data
folder (SQLite, local media), `pixel-studio db upgrade` and `pixel-studio seed-demo` (the demo
gallery), then the built app as `make run` serves it: `reflex run --env prod --single-port`
on a free port. Lighthouse (tools/lighthouse, `npm ci` from its lock file) drives Debian's
Chromium with the flags of tests/e2e/conftest.py over `/`, `/explore`, `/image/<id>`,
`/u/<name>` and, signed in as a demo user (the session cookie through --extra-headers),
`/create`: mobile (Lighthouse's default emulation and simulated throttling) and desktop
(--preset=desktop), --runs times each; the run with the median performance score is reported.

Each page is opened by its address as a shared link would be (`/explore`, not `/explore/`), so
a redirect costs what it costs a visitor. The floor, measured in the same run under the same
throttling: a static HTML page (a heading, a paragraph and one gallery thumbnail with its width
and height, no script) served by Python's http.server: what any page can do on this machine.

It prints the tables (scores, FCP/LCP/TBT/CLS; the JS and CSS bytes each page ships) and with
--write puts them in bench/RESULTS.md under --label (a block of that label is replaced).

    .venv/bin/python bench/web_vitals.py [--runs 3] [--label before] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import _lighthouse as lh  # noqa: E402
from load.common import (  # noqa: E402
    BIN,
    base_env,
    free_port,
    machine,
    start,
    stop,
    uptime,
    wait_ready,
)

from pixel_studio.api.deps import SESSION_COOKIE  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Web vitals: Lighthouse on the public pages (`bench/web_vitals.py`, issue 16)"
DEMO_LOGIN = {"login": "ada", "password": "ada-demo-2026"}  # pixel_studio/cli.py DEMO_USERS
GOALS = "goals (issue 16): mobile performance ≥ 90, LCP ≤ 2.5 s, CLS ≤ 0.1, TBT ≤ 200 ms; "
GOALS += "desktop ≥ 95; accessibility, best practices and SEO 100"


def _post_json(url: str, body: dict[str, str]) -> tuple[dict[str, object], str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read()), response.headers.get("Set-Cookie", "")


def _get_json(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def _listeners(port: int) -> int:
    """LISTEN sockets on the port. Granian binds with SO_REUSEPORT: another server started on
    the same port (another checkout's tests) would silently take half of the requests."""
    out = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    return len([line for line in out.splitlines() if line.strip()])


@contextlib.contextmanager
def app_server(tmp: Path) -> Iterator[str]:
    port = free_port()
    env = base_env(tmp, port)
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)  # the embedded profile: what `make run` serves with nothing set
    cli = str(BIN / "pixel-studio")
    subprocess.run([cli, "db", "upgrade"], cwd=REPO, env=env, check=True, capture_output=True)
    subprocess.run([cli, "seed-demo"], cwd=REPO, env=env, check=True, capture_output=True)
    log = tmp / "reflex.log"
    proc = start(
        [str(BIN / "reflex"), "run", "--env", "prod", "--single-port",
         "--frontend-port", str(port), "--backend-port", str(port),
         "--backend-host", "127.0.0.1"],
        env,
        log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready([f"{base}/healthz", f"{base}/"], [proc], log)
        yield base
    finally:
        stop(proc)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """The floor's requests are not news."""


@contextlib.contextmanager
def floor_server(folder: Path, thumbnail: bytes, width: int, height: int) -> Iterator[str]:
    (folder / "thumb.webp").write_bytes(thumbnail)
    (folder / "index.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Floor · Pixel Studio</title><link rel="icon" href="data:,">'
        '<meta name="description" content="The floor of the web vitals benchmark.">'
        "</head><body><main><h1>Pixel Studio</h1><p>One image, no script.</p>"
        f'<img src="/thumb.webp" alt="A gallery image" width="{width}" height="{height}" '
        'style="width:128px;height:auto"></main></body></html>'
    )
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def _kib(value: int) -> str:
    return f"{value / 1024:.0f}"


def scores_table(results: dict[str, list[lh.Run]]) -> str:
    lines = [
        "| page | perf | FCP | LCP | TBT | CLS | SI | a11y | best pr. | SEO | perf, every run "
        "| CPU index |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page, runs in results.items():
        m = lh.median_run(runs)
        s = m.scores
        lines.append(
            f"| {page} | **{s['performance']}** | {_ms(m.fcp)} | {_ms(m.lcp)} | {_ms(m.tbt)} "
            f"| {m.cls:.3f} | {_ms(m.si)} | {s['accessibility']} | {s['best-practices']} "
            f"| {s['seo']} | {lh.spread(runs)} | {m.cpu_index:.0f} |"
        )
    return "\n".join(lines)


def bytes_table(results: dict[str, list[lh.Run]]) -> str:
    lines = [
        "| page | requests | JS KiB wire / raw | CSS KiB wire / raw | unused JS KiB "
        "| unused CSS KiB | redirect cost | short-cache resources |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for page, runs in results.items():
        m = lh.median_run(runs)
        lines.append(
            f"| {page} | {m.requests} | {_kib(m.js_transfer)} / {_kib(m.js_raw)} "
            f"| {_kib(m.css_transfer)} / {_kib(m.css_raw)} | {_kib(m.unused_js)} "
            f"| {_kib(m.unused_css)} | {_ms(m.redirect_ms)} | {m.short_cache} |"
        )
    return "\n".join(lines)


def notes(results: dict[str, list[lh.Run]], expected_paths: dict[str, str]) -> list[str]:
    out = []
    for page, runs in results.items():
        m = lh.median_run(runs)
        if m.failing:
            out.append(f"- {page}: audits below 1 (a11y / best practices / SEO): {m.failing}")
        want = expected_paths.get(page.split(" ")[0])
        if want and not urllib.parse.urlparse(m.final_url).path.rstrip("/").endswith(want):
            out.append(f"- {page}: ended on {m.final_url} (expected {want})")
        for error in sorted({e for r in runs for e in r.errors}):
            out.append(f"- {page}: {error}")
    return out


def write_results(label: str, block: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start_mark, end_mark = f"<!-- web-vitals:{label} -->", f"<!-- /web-vitals:{label} -->"
    body = f"{start_mark}\n{block}\n{end_mark}"
    if start_mark in text and end_mark in text:
        head, rest = text.split(start_mark, 1)
        text = head + body + rest.split(end_mark, 1)[1]
    else:
        if SECTION not in text:
            text = text.rstrip("\n") + f"\n\n{SECTION}\n"
        # At the end of this section: before the next "## " heading, if another follows.
        at = text.index(SECTION) + len(SECTION)
        end = text.find("\n## ", at)
        end = len(text) if end < 0 else end
        text = text[:end].rstrip("\n") + f"\n\n{body}\n" + text[end:]
    RESULTS.write_text(text)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_") or "root"


def run(args: argparse.Namespace) -> str:
    version = lh.ensure_installed()
    chromium = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    started = datetime.now(UTC)
    load_before = uptime()
    with tempfile.TemporaryDirectory(prefix="web-vitals-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "data").mkdir()
        (tmp / "floor").mkdir()
        with app_server(tmp / "data") as base:
            port = int(base.rsplit(":", 1)[1])
            first = _get_json(f"{base}/api/v1/explore?limit=1")["items"][0]  # type: ignore[index]
            image_id, owner = first["id"], first["creator_username"]
            with urllib.request.urlopen(base + first["thumbnail_url"], timeout=10) as response:
                thumbnail = response.read()
            _me, set_cookie = _post_json(f"{base}/api/auth/login", DEMO_LOGIN)
            cookie = set_cookie.split(";", 1)[0]
            assert cookie.startswith(f"{SESSION_COOKIE}="), set_cookie
            pages = [
                ("/", None),
                ("/explore", None),
                (f"/image/{image_id}", None),
                (f"/u/{owner}", None),
                ("/create", cookie),
            ]
            with floor_server(tmp / "floor", thumbnail, first["width"], first["height"]) as floor:
                tables = {}
                for form in args.forms:
                    results: dict[str, list[lh.Run]] = {}
                    targets = [("floor (static page)", floor, None)]
                    targets += [(path + (" signed in" if c else ""), base + path, c)
                                for path, c in pages]  # fmt: skip
                    for name, url, page_cookie in targets:
                        if args.pages and not any(p in name for p in args.pages):
                            continue
                        if base in url and _listeners(port) != 1:
                            raise RuntimeError(f"another server also listens on {port}")
                        results[name] = []
                        for i in range(args.runs):
                            out = tmp / f"{form}-{len(results)}-{i}.json"
                            results[name].append(
                                lh.run(url, desktop=form == "desktop", chromium=CHROMIUM,
                                       chromium_args=CHROMIUM_ARGS, cookie=page_cookie,
                                       out=out)
                            )  # fmt: skip
                            if args.keep:
                                args.keep.mkdir(parents=True, exist_ok=True)
                                shutil.copy(out, args.keep / f"{form}-{_slug(name)}-{i}.json")
                        m = lh.median_run(results[name])
                        print(f"{form} {name}: perf {lh.spread(results[name])}, "
                              f"LCP {_ms(m.lcp)}, CLS {m.cls:.3f}", flush=True)  # fmt: skip
                    tables[form] = results
    expected = {"/create": "/create", "/explore": "/explore"}
    parts = [
        f"### {args.label}: {started:%Y-%m-%d %H:%M} UTC, commit {commit}",
        "",
        f"Lighthouse {version}, {chromium}, {machine()}; median of {args.runs} runs by "
        f"performance score. {GOALS}. Load average before: `{load_before}`, after: "
        f"`{uptime()}`. CPU index: Lighthouse's benchmarkIndex of the median run (the machine "
        "is shared: a lower index means a busier CPU, longer tasks and a higher TBT).",
    ]
    for form, results in tables.items():
        parts += ["", f"**{form}**", "", scores_table(results)]
    first_form = next(iter(tables.values()))
    parts += ["", f"What each page ships ({args.forms[0]}, the median run):", ""]
    parts += [bytes_table(first_form)]
    extra = [n for results in tables.values() for n in notes(results, expected)]
    if extra:
        parts += ["", *sorted(set(extra))]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and form")
    parser.add_argument("--label", default="current", help="the RESULTS.md block to (re)write")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument(
        "--forms", default="mobile,desktop", type=lambda v: [f for f in v.split(",") if f]
    )
    parser.add_argument(
        "--pages",
        default="",
        type=lambda v: [p for p in v.split(",") if p],
        help="only the pages whose name contains one of these (e.g. /explore,/image)",
    )
    parser.add_argument("--keep", type=Path, help="copy every Lighthouse report (JSON) here")
    args = parser.parse_args()
    t0 = time.monotonic()
    block = run(args)
    print()
    print(block)
    if args.write:
        write_results(args.label, block)
        print(f"\nwritten to {RESULTS} ({time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
