"""How the built app is served (issue 16, items 4 and 5), against `reflex run --env prod`:
every page answers at its own address with 200 (no `/explore` -> `/explore/` redirect), and so
does every link the nav and pages render; Vite's hashed assets are cached for a year and sent
gzipped; HTML is revalidated with its ETag. The Lighthouse scores live in bench/web_vitals.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page

from pixel_studio.api.static_cache import IMMUTABLE, REVALIDATE, ROOT_FILE
from pixel_studio.frontend_build import deferred_modules
from tests.e2e.test_accounts_e2e import DESKTOP, PHONE, sign_up_by_api, unique_name

pytestmark = pytest.mark.e2e

ASSET_REF = re.compile(r'(?:href|src)="(/assets/[^"]+)"')


def client(base_url: str) -> httpx.Client:
    # Never follows a redirect: a 3xx is what these tests look for.
    return httpx.Client(base_url=base_url, follow_redirects=False, timeout=15)


def public_pages(base_url: str) -> list[str]:
    """The issue's pages, a nested one, and one with a query, as a shared link opens them."""
    with client(base_url) as http:
        name = unique_name("srv")
        body = {"username": name, "email": f"{name}@example.com", "password": "a long pass 1!"}
        assert http.post("/api/auth/signup", json=body).status_code == 201
    return ["/", "/explore", "/explore?sort=top", f"/u/{name}", f"/u/{name}/followers",
            "/image/1", "/create", "/login", "/signup", "/admin/reports"]  # fmt: skip


def test_every_page_answers_at_its_address(base_url: str) -> None:
    with client(base_url) as http:
        for path in public_pages(base_url):
            response = http.get(path)
            assert response.status_code == 200, (path, response.headers.get("location"))
            assert response.headers["content-type"].startswith("text/html"), path
            assert response.headers["cache-control"] == REVALIDATE, path
            # Revalidation is cheap: the ETag answers with 304 and no body.
            again = http.get(path, headers={"If-None-Match": response.headers["etag"]})
            assert (again.status_code, again.headers["cache-control"]) == (304, REVALIDATE)
            assert response.headers["last-modified"]


def rendered_links(page: Page) -> set[str]:
    """Same-origin links of the page, less its links to a spot on itself (the skip link's
    "#main": the prerendered HTML spells it from the build's `/explore/`, and no request
    follows it)."""
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    here = urlsplit(page.url)
    links = set()
    for href in hrefs:
        link = urlsplit(href)
        same_page = link.fragment and link.path.rstrip("/") == here.path.rstrip("/")
        if link.netloc == here.netloc and not same_page:
            links.add(href)
    return links


def assert_no_redirects(base_url: str, links: set[str]) -> None:
    with client(base_url) as http:
        for link in sorted(links):
            parts = urlsplit(link)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            response = http.get(path)
            assert response.status_code == 200, (link, response.headers.get("location"))


def test_every_link_on_the_nav_and_pages_answers_without_a_redirect(
    browser: Browser, base_url: str
) -> None:
    links: set[str] = set()
    for viewport in (DESKTOP, PHONE):
        context = browser.new_context(base_url=base_url, viewport=viewport)
        page = context.new_page()
        for path in ("/", "/explore", "/login"):
            page.goto(path)
            page.get_by_role("banner").wait_for()
            links |= rendered_links(page)
        sign_up_by_api(page, unique_name("nav"))
        for path in ("/home", "/create", "/explore"):
            page.goto(path)
            # The member's nav, not just the banner: it first renders as a visitor's until the
            # socket has said who is signed in (seen missing its /create link under load).
            page.get_by_role("banner").get_by_test_id("credits-badge").first.wait_for(
                state="attached"
            )
            links |= rendered_links(page)
        context.close()
    paths = {urlsplit(link).path for link in links}
    assert {"/", "/explore", "/create"} <= paths, paths  # the nav was there, visitor and member
    # Links use the address a page answers at: no trailing slash.
    assert not [p for p in paths if p != "/" and p.endswith("/")], paths
    assert_no_redirects(base_url, links)


def test_hashed_assets_are_cached_for_a_year_and_gzipped(base_url: str) -> None:
    with client(base_url) as http:
        html = http.get("/explore").text
        # The page's scripts (boot, shared vendor chunk, page: frontend_build; fetched by its
        # loader once it has painted) and stylesheet.
        assets = sorted(set(ASSET_REF.findall(html)) | set(deferred_modules(html)))
        assert sum(a.endswith(".js") for a in assets) >= 4, assets
        assert any(a.endswith(".css") for a in assets), assets
        raw: dict[str, int] = {}
        gzipped: dict[str, int] = {}
        for asset in assets:
            response = http.get(asset, headers={"Accept-Encoding": "gzip"})
            assert response.status_code == 200, asset
            assert response.headers["cache-control"] == IMMUTABLE, asset
            raw[asset] = len(response.content)  # httpx decodes what came gzipped
            if response.headers.get("content-encoding") == "gzip":
                gzipped[asset] = int(response.headers["content-length"])
                assert gzipped[asset] < raw[asset], asset
        largest_script = max((a for a in assets if a.endswith(".js")), key=raw.__getitem__)
        assert largest_script in gzipped, "the largest script is sent gzipped"
        assert any(a.endswith(".css") for a in gzipped), "the stylesheet is sent gzipped"
        # Brotli where the browser takes it (Chromium sends "gzip, deflate, br, zstd").
        brotli = http.get(largest_script, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert brotli.headers["content-encoding"] == "br"
        assert int(brotli.headers["content-length"]) < gzipped[largest_script]
        assert brotli.headers["cache-control"] == IMMUTABLE
        # A missing asset is a 404 nobody may keep for a year.
        missing = http.get("/assets/gone-AbCdEf12.js")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == REVALIDATE


def test_api_and_root_files_keep_their_own_cache_rules(base_url: str) -> None:
    with client(base_url) as http:
        api = http.get("/api/v1/explore")
        assert api.status_code == 200
        # JSON keeps whatever its route decides; these rules are for the built frontend.
        assert api.headers.get("cache-control") not in (IMMUTABLE, REVALIDATE, ROOT_FILE)
        favicon = http.get("/favicon.ico")
        assert favicon.headers["cache-control"] == ROOT_FILE
