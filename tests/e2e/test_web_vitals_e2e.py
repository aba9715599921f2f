"""Issue 16, what is deterministic about first paint, in Chromium against the built app:

- no layout shift on /explore and an image page (the layout-shift entries Chromium reports,
  summed, stay under 0.1) on a desktop and a phone screen;
- every picture has its box before it arrives (width/height attributes, and a box with an
  aspect ratio), the first cards load eagerly, the first at high priority, the rest lazily;
- the first data comes over plain HTTP before the socket (the grid shows the prefill first),
  without the visitor's cookie, and the picture it names is preloaded at high priority;
- the prerendered page already holds skeleton cards of the final size.

Timings and scores are the benchmark's (bench/), never asserted here.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Route,
    ViewportSize,
    WebSocketRoute,
    expect,
)

from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.cli import DEMO_USERS
from pixel_studio.components.image_grid import EAGER_CARDS
from pixel_studio.frontend_build import deferred_modules
from tests.e2e.a11y_support import World, seed_world
from tests.e2e.conftest import AppServer
from tests.e2e.test_accounts_e2e import DESKTOP, PHONE
from tests.e2e.test_errors_e2e import HYDRATED
from tests.e2e.test_generation_e2e import LIVE_TIMEOUT

pytestmark = pytest.mark.e2e

# Every public image, most liked first: a query no other test asks for, so the page is read
# after the seeding rather than from a cache entry another test left (explore's TTL is 60 s).
QUERY = "sort=liked"

# Installed before any page script: layout shifts without recent input (what CLS counts),
# the order in which the grid's source changed, and whether the image page's skeleton ever
# showed the picture.
OBSERVE = """
window.__vitals = {shifts: [], sources: [], skeletonPicture: false};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) window.__vitals.shifts.push(e.value);
}).observe({type: "layout-shift", buffered: true});
new MutationObserver(() => {
  const v = window.__vitals;
  const grid = document.querySelector("[data-source]");
  const card = grid && grid.querySelector("[data-testid=image-card]");
  const source = card ? grid.dataset.source : null;
  if (source && v.sources[v.sources.length - 1] !== source) v.sources.push(source);
  const early = document.querySelector("[data-testid=image-skeleton] .ps-picture img");
  if (early) v.skeletonPicture = true;
}).observe(document, {subtree: true, childList: true, attributes: true});
"""

SETTLED_IMAGES = """() => [...document.querySelectorAll("main img")]
  .filter((i) => i.getAttribute("loading") !== "lazy").every((i) => i.complete)"""


@pytest.fixture(scope="module")
def world(app_server: AppServer, app_url: str) -> World:
    demo = DEMO_USERS[0]
    return seed_world(app_server, demo.username, demo.password)


class HeldSocket:
    """The page's Reflex socket, its server-to-page messages held back until `release()`:
    whatever the page shows before that came without the socket (a fast local socket would
    otherwise race the HTTP prefill, and which one wins would decide what the test sees)."""

    def __init__(self, page: Page) -> None:
        self.released = False
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []
        page.route_web_socket(re.compile(r"/_event"), self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda message: self._to_page(ws, message))
        ws.on_message(server.send)

    def _to_page(self, ws: WebSocketRoute, message: str | bytes) -> None:
        if self.released:
            ws.send(message)
        else:
            self.held.append((ws, message))

    def release(self) -> None:
        self.released = True
        for ws, message in self.held:
            ws.send(message)
        self.held.clear()


def _context(browser: Browser, base_url: str, viewport: ViewportSize) -> BrowserContext:
    context = browser.new_context(base_url=base_url, viewport=viewport)
    context.add_init_script(script=OBSERVE)
    return context


def _api_requests(page: Page) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            seen.append({"url": r.url, "headers": r.all_headers()}) if "/api/v1/" in r.url else None
        ),
    )
    return seen


def _cls(page: Page) -> float:
    return float(page.evaluate("window.__vitals.shifts.reduce((a, b) => a + b, 0)"))


def _preloads(page: Page) -> list[dict[str, str]]:
    result: list[dict[str, str]] = page.evaluate(
        """() => [...document.querySelectorAll('link[rel=preload][as=image]')].map((l) => ({
            href: new URL(l.href, location.href).pathname,
            priority: l.getAttribute("fetchpriority") || ""}))"""
    )
    return result


def _sized(page: Page, selector: str) -> list[str]:
    """Pictures under `selector` that would have no box before their bytes arrive."""
    bad: list[str] = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter((img) => {
            const w = Number(img.getAttribute("width")), h = Number(img.getAttribute("height"));
            const box = getComputedStyle(img.parentElement).aspectRatio;
            return !(w > 0 && h > 0) && (!box || box === "auto");
        }).map((img) => img.outerHTML.slice(0, 120))""",
        selector,
    )
    return bad


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_explore_first_paint(
    browser: Browser, base_url: str, world: World, viewport: ViewportSize
) -> None:
    context = _context(browser, base_url, viewport)
    context.add_cookies([{"name": "probe", "value": "1", "url": base_url}])
    page = context.new_page()
    api = _api_requests(page)
    socket = HeldSocket(page)
    page.goto(f"/explore?{QUERY}")
    main = page.get_by_role("main")
    # The cards are on screen with the socket silent: they came over plain HTTP.
    expect(main.locator("[data-source=prefill]").get_by_test_id("image-card").first).to_be_visible()
    socket.release()
    expect(main.locator("[data-source=socket]")).to_have_count(1)
    expect(main.get_by_test_id("image-card").first).to_be_visible()
    page.wait_for_function(SETTLED_IMAGES)

    # The first page came over HTTP before the socket, without the visitor's cookie.
    sources = page.evaluate("window.__vitals.sources")
    assert sources == ["prefill", "socket"], sources
    first_fetch = [r for r in api if "/api/v1/explore" in r["url"]]
    assert first_fetch, "the page fetched its first data over plain HTTP"
    assert all("cookie" not in r["headers"] for r in first_fetch), first_fetch[0]["headers"]

    # Boxes before pictures; the first cards eager, the very first at high priority.
    assert _sized(page, "main img") == []
    imgs = main.locator("[data-testid=image-card] img")
    count = imgs.count()
    assert count > EAGER_CARDS, f"the seeded gallery fills more than {EAGER_CARDS} cards"
    for i in range(count):
        img = imgs.nth(i)
        expected = "eager" if i < EAGER_CARDS else "lazy"
        assert img.get_attribute("loading") == expected, (i, img.get_attribute("loading"))
        assert img.get_attribute("fetchpriority") == ("high" if i == 0 else "auto")
    first_src = str(imgs.first.get_attribute("src"))
    assert {"href": first_src, "priority": "high"} in _preloads(page)

    cls = _cls(page)
    assert cls < 0.1, f"CLS {cls:.3f} on /explore ({viewport})"
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_image_page_first_paint(
    browser: Browser, base_url: str, world: World, viewport: ViewportSize
) -> None:
    context = _context(browser, base_url, viewport)
    page = context.new_page()
    socket = HeldSocket(page)
    page.goto(f"/image/{world.image_id}")
    main = page.get_by_role("main")
    # Title and picture are on screen with the socket silent: they came over plain HTTP.
    skeleton = main.get_by_test_id("image-skeleton")
    expect(skeleton.locator(".ps-picture img")).to_have_count(1)
    expect(skeleton.get_by_role("heading", level=1)).to_be_visible()
    socket.release()
    expect(skeleton).to_have_count(0)
    expect(main.get_by_role("heading", level=1)).to_be_visible()
    expect(main.locator(".ps-picture img")).to_have_count(1)
    expect(main.get_by_test_id("comments-skeleton")).to_have_count(0)
    page.wait_for_function(SETTLED_IMAGES)

    picture = main.locator(".ps-picture img")
    assert int(picture.get_attribute("width") or 0) > 0
    assert int(picture.get_attribute("height") or 0) > 0
    assert picture.get_attribute("fetchpriority") == "high"
    assert picture.get_attribute("loading") != "lazy"
    assert _sized(page, "main img") == []
    assert page.evaluate("window.__vitals.skeletonPicture") is True
    src = str(picture.get_attribute("src"))
    # The demo's 512 px picture: shown by its WebP (every pixel, a fraction of the PNG's bytes)
    # and never wider than its own pixels, in a box of its ratio (so nothing moves).
    drawn, natural = picture.evaluate("i => [i.getBoundingClientRect().width, i.naturalWidth]")
    assert src.endswith(".webp") and natural == 512 and drawn <= natural, (src, drawn, natural)
    # The HTML's own response names it, preloaded at high priority, and the shell shows it
    # (api/image_shell.py), so the head script adds no preload of its own.
    assert _preloads(page) == []
    link = page.request.get(f"{base_url}/image/{world.image_id}").headers.get("link", "")
    assert link == f"<{src.removeprefix(base_url)}>; rel=preload; as=image; fetchpriority=high"

    cls = _cls(page)
    assert cls < 0.1, f"CLS {cls:.3f} on /image/{world.image_id} ({viewport})"
    context.close()


def test_prerendered_explore_holds_skeletons(base_url: str, page: Page) -> None:
    """Before any script runs, the grid's place is held by cards of the final shape."""
    html = page.request.get(f"{base_url}/explore/").text()
    assert 'data-testid="grid-skeleton"' in html
    assert html.count("ps-card-pic ps-skel") >= 4
    assert "__psFirstPaint" in html  # the early fetch is in the page itself


# Scripts a page's HTML asks for before its first paint (the boot module and its preloads).
# Vite's automatic split gave ~30 on `/` (frontend_build.SHARED_VENDOR_GROUP).
MAX_BOOT_SCRIPTS = 10


def test_pages_fetch_few_scripts_and_only_after_their_first_paint(
    browser: Browser, base_url: str, world: World
) -> None:
    """A phone on HTTP/1.1 fetches six files at a time, so the shared packages come as one
    chunk; and the page's own content (its HTML, stylesheet and first picture) does not share
    the link with them: the HTML names no script to fetch (frontend_build.defer_boot), its
    loader fetches them once the page has painted and the head script's picture is in."""
    context = _context(browser, base_url, PHONE)
    page = context.new_page()
    for path in ("/", "/explore", f"/image/{world.image_id}", f"/u/{world.username}"):
        html = page.request.get(f"{base_url}{path}").text()
        assert '<link rel="modulepreload"' not in html, path
        modules = deferred_modules(html)
        assert 0 < len(modules) <= MAX_BOOT_SCRIPTS, (path, modules)
        assert any("/vendor-" in href for href in modules), (path, modules)
        page.goto(path)
        page.wait_for_function(HYDRATED, timeout=30_000)  # the deferred boot did run
        first_paint, first_script = page.evaluate(
            """() => [performance.getEntriesByName("first-contentful-paint")[0].startTime,
                Math.min(...performance.getEntriesByType("resource")
                    .filter((e) => e.name.includes("/assets/") && e.name.endsWith(".js"))
                    .map((e) => e.startTime))]"""
        )
        # The loader waits for the paint's own entry (stamped when its frame reached the
        # screen), not just for a frame: a frame's callbacks can run before that stamp.
        assert first_script >= first_paint, (path, first_paint, first_script)
    # /create paints its title and form first; the form is inert until the app has loaded and
    # knows who is signed in, so nothing typed before then is lost.
    create = page.request.get(f"{base_url}/create").text()
    assert deferred_modules(create) and "Describe an image, pick a model" in create
    fieldset = re.search(r"<fieldset[^>]*>", create)
    assert fieldset and "ps-fieldset" in fieldset[0] and 'disabled=""' in fieldset[0], fieldset
    assert 'name="prompt"' in create and "procedural picture" in create  # the model's text
    # A page whose form is in its HTML keeps its JavaScript first: the form must work at once.
    login = page.request.get(f"{base_url}/login").text()
    assert '<link rel="modulepreload"' in login and not deferred_modules(login)
    context.close()


def test_a_search_sent_before_the_app_has_loaded_is_sent_once_it_has(
    browser: Browser, base_url: str
) -> None:
    """A content page's JavaScript comes after its first paint. A search submitted in that
    moment is held (components/theme.HOLD_SUBMITS_JS: the browser's own GET never leaves) and
    sent by the app once it runs."""
    context = _context(browser, base_url, PHONE)
    held: list[Route] = []
    released = False

    def hold(route: Route) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    context.route(re.compile(r"/assets/[^?]+\.js(\?|$)"), hold)
    page = context.new_page()
    page.goto("/explore")
    page.get_by_label("Search images").fill("lighthouse")
    page.get_by_label("Search images").press("Enter")
    page.wait_for_timeout(300)
    assert "q=" not in page.url  # no GET of the form by the browser itself
    assert page.evaluate("typeof window.__reflex") == "undefined"  # the app has not run yet
    released = True
    for route in held:
        route.continue_()
    expect(page).to_have_url(re.compile(r"/explore/?\?q=lighthouse$"), timeout=LIVE_TIMEOUT)
    context.close()


def test_pages_paint_before_any_script_runs(browser: Browser, base_url: str, world: World) -> None:
    """Every script refused: what paints is the prerendered HTML alone.
    A dynamic page opened by its address is its prerendered shell, nav and skeletons, with the
    picture the head script fetched over HTTP already in the picture's box."""
    context = _context(browser, base_url, PHONE)
    context.route(re.compile(r"/assets/[^?]+\.js(\?|$)"), lambda route: route.abort())
    page = context.new_page()
    image = page.request.get(f"{base_url}/api/v1/images/{world.image_id}").json()["image"]
    for path, skeleton in (
        ("/", None),
        ("/explore", "grid-skeleton"),
        (f"/image/{world.image_id}", "image-skeleton"),
        (f"/u/{world.username}", "page-skeleton"),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert response.url.rstrip("/").endswith(path.rstrip("/")), response.url  # no redirect
        expect(page.get_by_role("link", name="Pixel Studio home")).to_be_visible()
        if skeleton:
            expect(page.get_by_test_id(skeleton).first).to_be_visible()
        page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
        assert page.evaluate("typeof window.__reactRouterRouteModules") == "undefined", path
    # The shells show the picture (the LCP element) before React: the image page its image, a
    # profile its newest public picture in the first card.
    newest = page.request.get(f"{base_url}/api/v1/users/{world.username}/images?limit=1").json()
    assert newest["items"], "the demo user has public images"
    for path, skeleton, url in (
        (f"/image/{world.image_id}", "image-skeleton", image["display_url"]),
        (f"/u/{world.username}", "page-skeleton", newest["items"][0]["thumbnail_url"]),
    ):
        page.goto(path)
        expect(page.locator(f"[data-testid={skeleton}] .ps-first-pic")).to_have_count(1)
        page.wait_for_function(
            """([sel, url]) => getComputedStyle(document.querySelector(sel))
                .backgroundImage.includes(url)""",
            arg=[f"[data-testid={skeleton}] .ps-first-pic", url],
        )
    # The image page's HTML holds its picture itself (api/image_shell.py): with the head
    # script's JSON refused too, the shell still shows it.
    context.route(re.compile(r"/api/v1/images/"), lambda route: route.abort())
    page.goto(f"/image/{world.image_id}")
    sel = "[data-testid=image-skeleton] .ps-first-pic"
    shown = page.evaluate(f"getComputedStyle(document.querySelector('{sel}')).backgroundImage")
    assert image["display_url"] in shown
    context.close()


def test_dynamic_pages_hydrate_from_their_shell(base_url: str, page: Page, world: World) -> None:
    """/image/<id> is served its prerendered shell (not the empty SPA fallback), and React takes
    it over at the real address."""
    shell = page.request.get(f"{base_url}/image/{world.image_id}").text()
    assert 'data-testid="image-skeleton"' in shell  # the shell, not the empty SPA fallback
    page.goto(f"/image/{world.image_id}")
    # React took over: hydrated, the socket up, on_load's data in (slow on a busy machine).
    expect(page.get_by_test_id("image-skeleton")).to_have_count(0, timeout=LIVE_TIMEOUT)
    expect(page.get_by_role("main").get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("typeof window.__reactRouterRouteModules") == "object"
    # A profile drops the early picture once its own cards show: a later page's skeleton, after
    # a client-side navigation, must not show this profile's picture.
    page.goto(f"/u/{world.username}")
    expect(page.get_by_test_id("page-skeleton")).to_have_count(0, timeout=LIVE_TIMEOUT)
    expect(page.locator("#ps-first-pic")).to_have_count(0)


def test_a_form_does_not_submit_before_the_page_is_ready(browser: Browser, base_url: str) -> None:
    """Scripts refused (a phone still loading them): Enter in the prerendered log-in form must
    not send the browser's own GET with the password in the address (components/theme.py)."""
    context = browser.new_context(base_url=base_url)
    context.route(re.compile(r"/assets/[^?]+\.js(\?|$)"), lambda route: route.abort())
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username or email").fill("ada")
    page.get_by_label("Password").fill("not-in-the-url")
    page.get_by_label("Password").press("Enter")
    page.wait_for_timeout(300)  # a native submit would have navigated by now
    assert "not-in-the-url" not in page.url and "?" not in page.url, page.url
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_signed_in_page_does_not_shift(
    browser: Browser, base_url: str, world: World, viewport: ViewportSize
) -> None:
    """/create signed in: its placeholder (auth not known yet in the prerendered HTML) is a
    screen tall, so the form arriving does not push the footer out of view."""
    login = httpx.post(
        f"{base_url}/api/auth/login",
        json={"login": world.username, "password": world.password},
        headers={"Origin": base_url},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    context = _context(browser, base_url, viewport)
    cookie = login.cookies.get(SESSION_COOKIE)
    assert cookie
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": base_url}])
    page = context.new_page()
    page.goto("/create")
    expect(page.get_by_role("heading", name="Create", level=1)).to_be_visible(timeout=LIVE_TIMEOUT)
    page.wait_for_timeout(500)  # a late shift (nav, jobs panel) would land in this window
    cls = _cls(page)
    assert cls < 0.1, f"CLS {cls:.3f} on /create signed in ({viewport})"
    context.close()
