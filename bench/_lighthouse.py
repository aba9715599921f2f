"""Lighthouse 12 from tools/lighthouse (npm, frozen by its package-lock.json), run on Debian's
Chromium with the flags the browser tests use, and the numbers bench/web_vitals.py reads from
one report. Helper module: `make bench` skips files starting with "_".
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools" / "lighthouse"
LIGHTHOUSE = TOOLS / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
RUN_TIMEOUT = 240  # one page load under mobile throttling on a busy 2-core machine: < 60 s


def ensure_installed() -> str:
    """`npm ci` the frozen tree when it is missing; returns Lighthouse's version."""
    if not LIGHTHOUSE.exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )
    package = json.loads((TOOLS / "node_modules" / "lighthouse" / "package.json").read_text())
    return str(package["version"])


@dataclass
class Run:
    """The numbers of one Lighthouse report."""

    url: str
    final_url: str
    scores: dict[str, int]  # category -> 0..100
    fcp: float  # ms
    lcp: float  # ms
    tbt: float  # ms
    cls: float
    si: float  # speed index, ms
    redirect_ms: float  # Lighthouse's estimate of what the redirects cost
    short_cache: int  # static resources without a long cache lifetime
    requests: int
    js_transfer: int  # bytes over the wire (compressed), scripts
    js_raw: int  # bytes after decompression, scripts
    css_transfer: int
    css_raw: int
    unused_js: int  # bytes Lighthouse found unused
    unused_css: int
    cpu_index: float  # Lighthouse's benchmarkIndex: lower means a busier CPU during the run
    failing: list[str] = field(default_factory=list)  # a11y / best-practices / SEO audits < 1
    errors: list[str] = field(default_factory=list)  # runtime error, warnings


def _num(report: dict[str, Any], audit: str) -> float:
    value = report["audits"].get(audit, {}).get("numericValue")
    return float(value) if value is not None else float("nan")


def _wasted_bytes(report: dict[str, Any], audit: str) -> int:
    details = report["audits"].get(audit, {}).get("details") or {}
    return int(sum(item.get("wastedBytes", 0) for item in details.get("items", [])))


def parse(report: dict[str, Any], url: str) -> Run:
    requests = report["audits"]["network-requests"]["details"]["items"]

    def bytes_of(kind: str, key: str) -> int:
        return int(sum(r.get(key, 0) for r in requests if kind in (r.get("mimeType") or "")))

    failing = []
    for name in CATEGORIES[1:]:
        for ref in report["categories"][name]["auditRefs"]:
            score = report["audits"][ref["id"]].get("score")
            if ref.get("weight", 0) > 0 and score is not None and score < 1:
                failing.append(ref["id"])
    cache_items = (report["audits"].get("uses-long-cache-ttl", {}).get("details") or {}).get(
        "items", []
    )
    errors = [str(report["runtimeError"]["message"])] if report.get("runtimeError") else []
    return Run(
        url=url,
        final_url=str(report.get("finalDisplayedUrl", "")),
        scores={
            name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES
        },
        fcp=_num(report, "first-contentful-paint"),
        lcp=_num(report, "largest-contentful-paint"),
        tbt=_num(report, "total-blocking-time"),
        cls=_num(report, "cumulative-layout-shift"),
        si=_num(report, "speed-index"),
        redirect_ms=_num(report, "redirects") if report["audits"]["redirects"]["score"] != 1 else 0,
        short_cache=len(cache_items),
        requests=len(requests),
        js_transfer=bytes_of("javascript", "transferSize"),
        js_raw=bytes_of("javascript", "resourceSize"),
        css_transfer=bytes_of("css", "transferSize"),
        css_raw=bytes_of("css", "resourceSize"),
        unused_js=_wasted_bytes(report, "unused-javascript"),
        unused_css=_wasted_bytes(report, "unused-css-rules"),
        cpu_index=float(report.get("environment", {}).get("benchmarkIndex") or 0),
        failing=failing,
        errors=errors + [str(w) for w in report.get("runWarnings", [])],
    )


def run(
    url: str,
    *,
    desktop: bool,
    chromium: str,
    chromium_args: list[str],
    cookie: str | None,
    out: Path,
) -> Run:
    """One Lighthouse run (mobile: its default emulation and simulated throttling)."""
    flags = " ".join(["--headless=new", *chromium_args])
    args = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        f"--chrome-flags={flags}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]
    if desktop:
        args.append("--preset=desktop")
    if cookie:
        # Every request of the page load carries it, the socket's handshake too: on_load reads
        # the session from there.
        args.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": chromium}
    subprocess.run(args, env=env, check=True, timeout=RUN_TIMEOUT, capture_output=True)
    return parse(json.loads(out.read_text()), url)


def median_run(runs: list[Run]) -> Run:
    """The run with the median performance score (Lighthouse's own advice for variance), ties
    broken by LCP, so one run's numbers are reported together."""
    ordered = sorted(runs, key=lambda r: (r.scores["performance"], -r.lcp))
    return ordered[(len(ordered) - 1) // 2]


def spread(runs: list[Run]) -> str:
    perf = [r.scores["performance"] for r in runs]
    return "/".join(str(p) for p in perf) + (
        f" (sd {statistics.pstdev(perf):.0f})" if len(perf) > 1 else ""
    )
