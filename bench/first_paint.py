"""First paint of /explore and an image page: the HTTP prefill against the socket-only path,
in the same run on the same server (issue 16, item 3: "measure each option you try").

Chromium (Debian's) with Lighthouse's mobile numbers applied by hand through CDP: a 412×823
screen at DPR 1.75, 4× CPU slowdown, 150 ms round trip and 1.6 Mbit/s down. Each page is
loaded --runs times each way, interleaved, and the medians of FCP, LCP (PerformanceObserver
`largest-contentful-paint`) and CLS (`layout-shift` entries without input) are printed:

- prefill: the page as built (components/first_paint.py: the head script's fetch of
  /api/v1/..., the LCP picture preloaded, the prerendered skeleton showing it);
- socket only: the same page with /api/v1/* refused in the browser, so its data comes the
  old way (JavaScript, socket, hydrate, on_load) — the reference the prefill must beat.

Against a running app (`make run` with `pixel-studio seed-demo`, or any built server):

    .venv/bin/python bench/first_paint.py http://localhost:3000 --image 1 [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

OBSERVE = """
window.__fp = {cls: 0, lcp: 0};
new PerformanceObserver((l) => { for (const e of l.getEntries())
  if (!e.hadRecentInput) window.__fp.cls += e.value; })
  .observe({type: "layout-shift", buffered: true});
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__fp.lcp = e.startTime; })
  .observe({type: "largest-contentful-paint", buffered: true});
"""
READ = """() => ({...window.__fp,
  fcp: (performance.getEntriesByName("first-contentful-paint")[0] || {}).startTime || 0})"""


def load(browser: Browser, url: str, socket_only: bool, settle_ms: int) -> dict[str, float]:
    context = browser.new_context(
        viewport={"width": 412, "height": 823}, device_scale_factor=1.75, is_mobile=True
    )
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 150,
            "downloadThroughput": 1.6 * 1024 * 1024 / 8,
            "uploadThroughput": 750 * 1024 / 8,
        },
    )
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.add_init_script(OBSERVE)
    if socket_only:
        page.route("**/api/v1/**", lambda route: route.abort())
    page.goto(url, wait_until="load")
    page.wait_for_timeout(settle_ms)  # the socket's data and its pictures arrive after "load"
    result: dict[str, Any] = page.evaluate(READ)
    context.close()
    return {k: float(result[k]) for k in ("fcp", "lcp", "cls")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the app's address, e.g. http://localhost:3000")
    parser.add_argument("--image", type=int, default=1, help="a public image's id")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle-ms", type=int, default=5000)
    args = parser.parse_args()
    pages = ["/explore/", f"/image/{args.image}"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print("| page | path | FCP | LCP | CLS | runs |")
        print("|---|---|---|---|---|---|")
        for path in pages:
            runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
            for _ in range(args.runs):  # interleaved: a busy machine slows both alike
                for socket_only in (True, False):
                    url = args.base.rstrip("/") + path
                    runs[socket_only].append(load(browser, url, socket_only, args.settle_ms))
            for socket_only in (True, False):
                got = runs[socket_only]

                def med(key: str, got: list[dict[str, float]] = got) -> float:
                    return statistics.median(r[key] for r in got)

                name = "socket only (reference)" if socket_only else "HTTP prefill"
                print(
                    f"| {path} | {name} | {med('fcp'):.0f} ms | {med('lcp'):.0f} ms "
                    f"| {med('cls'):.3f} | {len(got)} |"
                )
        browser.close()


if __name__ == "__main__":
    main()
