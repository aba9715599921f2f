"""The frontend's serving rules (api/static_cache.py) on the same stack production runs: a
FastAPI app with our routes, Reflex's own static-files class for the build mounted beneath
(as reflex/utils/exec.py mounts `.web/build/client`), a build folder laid out as Vite and
Reflex's prerender write it (pages as `<page>/index.html`, hashed assets with .gz sidecars)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.testclient import TestClient
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.routing import Mount

from pixel_studio.api import static_cache
from pixel_studio.api.static_cache import (
    IMMUTABLE,
    REVALIDATE,
    ROOT_FILE,
    FrontendServing,
    install_frontend_serving,
)

ASSET = "/assets/entry.client-D3JR-U0f.js"
SCRIPT = b"console.log('pixel studio');\n" * 400  # ~12 KB: the build writes a .gz beside it


# What the image pages of this build show a visitor (image_page_picture in the app).
PICTURES = {7: "/media/images/7.webp"}


def page_html(name: str) -> bytes:
    return (
        f"<!doctype html><html><head><title>{name}</title></head><body>{name}</body></html>"
    ).encode()


@pytest.fixture
def build(tmp_path: Path) -> Path:
    root = tmp_path / "client"
    files = {
        "index.html": page_html("landing"),
        "404.html": page_html("not found"),
        "explore/index.html": page_html("explore"),
        "explore.html": page_html("explore"),
        "admin/reports/index.html": page_html("reports"),
        "image/0/index.html": page_html("image shell"),
        "u/_/index.html": page_html("profile shell"),
        "favicon.ico": b"\0\0\1\0",
        ASSET.lstrip("/"): SCRIPT,
    }
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        if name.endswith((".html", ".js")):
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(body))
    return root


@pytest.fixture
def client(build: Path) -> TestClient:
    api = FastAPI()

    @api.get("/media/{key:path}")
    def media(key: str) -> Response:
        return Response(b"img", media_type="image/png", headers={"Cache-Control": "private"})

    @api.get("/api/v1/things")
    def things() -> JSONResponse:
        return JSONResponse(
            {"items": [{"id": i, "prompt": "a fox in the snow"} for i in range(99)]}
        )

    @api.get("/share/image/1")
    def share() -> HTMLResponse:
        return HTMLResponse("<p>shared</p>", headers={"Cache-Control": "public, max-age=300"})

    frontend = PrecompressedStaticFiles(directory=build, html=True, encodings=["gzip"])
    api.mount("", app=Mount("/", app=frontend, name="frontend"))
    install_frontend_serving(api, static_dir=build, picture_for=PICTURES.get)
    return TestClient(api, follow_redirects=False)


@pytest.mark.parametrize("path", ["/explore", "/explore/", "/admin/reports", "/explore?q=fox"])
def test_a_page_answers_at_its_address_without_a_redirect(client: TestClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200, resp.headers.get("location")
    assert resp.text == page_html("reports" if "admin" in path else "explore").decode()
    assert resp.headers["cache-control"] == REVALIDATE
    assert resp.headers["etag"] and resp.headers["last-modified"]


def test_html_is_revalidated_with_its_etag(client: TestClient) -> None:
    etag = client.get("/explore").headers["etag"]
    resp = client.get("/explore", headers={"If-None-Match": etag})
    assert resp.status_code == 304
    assert resp.headers["cache-control"] == REVALIDATE
    assert client.get("/").headers["cache-control"] == REVALIDATE


def test_hashed_assets_are_immutable_and_compressed(client: TestClient) -> None:
    resp = client.get(ASSET, headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == IMMUTABLE
    assert resp.headers["content-encoding"] == "gzip"
    assert int(resp.headers["content-length"]) < len(SCRIPT) / 10
    assert resp.content == SCRIPT  # httpx decodes: the sidecar holds the same bytes
    again = client.get(ASSET, headers={"If-None-Match": resp.headers["etag"]})
    assert (again.status_code, again.headers["cache-control"]) == (304, IMMUTABLE)


def test_a_missing_asset_is_not_cached_for_a_year(client: TestClient) -> None:
    resp = client.get("/assets/gone-AbCdEf12.js")
    assert resp.status_code == 404
    assert resp.headers["cache-control"] == REVALIDATE


def test_unknown_paths_still_404(client: TestClient) -> None:
    resp = client.get("/nowhere")
    assert resp.status_code == 404
    assert "location" not in resp.headers


@pytest.mark.parametrize(
    ("path", "served_as"),
    [
        ("/explore", "/explore/"),
        ("/admin/reports", "/admin/reports/"),
        ("/explore/", None),  # already the folder
        ("/explore.html", None),  # a file name
        ("/nowhere", None),  # no such page in the build
        ("/explore/../admin", None),  # never walks out of a path
        ("/..", None),
        ("//explore", None),
        # Dynamic public pages are answered with their prerendered shell (frontend_build).
        ("/image/42", "/image/0/"),
        ("/u/ada", "/u/_/"),
        ("/image/abc", None),  # not an image id: the SPA fallback, as before
        ("/u/ada/followers", None),  # no shell for it
        ("/u/Ada!", None),
    ],
)
def test_only_built_pages_are_rewritten(build: Path, path: str, served_as: str | None) -> None:
    serving = FrontendServing(app=lambda *_: None, static_dir=build)  # type: ignore[arg-type]
    assert serving._page_directory(path) == served_as


def test_root_files_get_a_day(client: TestClient) -> None:
    assert client.get("/favicon.ico").headers["cache-control"] == ROOT_FILE


def test_routes_keep_their_own_cache_headers(client: TestClient) -> None:
    assert client.get("/media/images/u1/s1/a.png").headers["cache-control"] == "private"
    share = client.get("/share/image/1")
    assert share.headers["cache-control"] == "public, max-age=300"
    api = client.get("/api/v1/things", headers={"Accept-Encoding": "gzip"})
    assert "cache-control" not in api.headers
    # Dynamic JSON is compressed on the fly.
    assert api.headers["content-encoding"] == "gzip"
    assert int(api.headers["content-length"]) < len(api.content) / 4
    assert len(api.json()["items"]) == 99


@pytest.mark.parametrize(
    ("path", "shell"), [("/image/8", "image shell"), ("/u/ada", "profile shell")]
)
def test_a_dynamic_page_is_served_its_shell_at_its_own_address(
    client: TestClient, path: str, shell: str
) -> None:
    resp = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200, resp.headers.get("location")
    assert resp.text == page_html(shell).decode()
    assert resp.headers["cache-control"] == REVALIDATE
    assert resp.headers["content-encoding"] == "gzip"


def test_an_image_page_preloads_its_picture_with_the_html(client: TestClient) -> None:
    """The picture starts with the HTML, as the head script's JSON fetch would start it later."""
    resp = client.get("/image/7")
    assert resp.status_code == 200
    assert (
        resp.headers["link"] == "</media/images/7.webp>; rel=preload; as=image; fetchpriority=high"
    )
    for path in ("/image/8", "/u/ada", "/explore", "/"):  # none a visitor may see, or not one
        assert "link" not in client.get(path).headers, path


def test_an_image_page_is_served_when_its_picture_cannot_be_looked_up(
    build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real lookup, its database unreachable: the page, without the hint."""

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise OSError("database down")

    monkeypatch.setattr(static_cache, "read", unreachable)
    assert static_cache.image_page_picture(7) is None
    api = FastAPI()
    frontend = PrecompressedStaticFiles(directory=build, html=True, encodings=["gzip"])
    api.mount("", app=Mount("/", app=frontend, name="frontend"))
    install_frontend_serving(api, static_dir=build)
    resp = TestClient(api).get("/image/7")
    assert resp.status_code == 200 and "link" not in resp.headers


def test_an_image_page_s_shell_already_shows_its_picture(client: TestClient, build: Path) -> None:
    """The skeleton's picture style is in the HTML itself (api/image_shell.py), as the head
    script would write it once its JSON is in; the rest of the shell is unchanged."""
    resp = client.get("/image/7", headers={"Accept-Encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["content-encoding"] == "gzip"
    style = (
        '<style id="ps-first-pic">.ps-skel.ps-first-pic{background:center/cover no-repeat '
        'url("/media/images/7.webp");animation:none}'
        ".ps-picture-skel.ps-first-pic{background-size:contain}</style>"
    )
    assert resp.text == page_html("image shell").decode().replace("</head>", style + "</head>")
    assert resp.headers["cache-control"] == REVALIDATE
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["link"].startswith("</media/images/7.webp>; rel=preload")
    assert resp.headers["last-modified"].endswith(" GMT")
    etag = resp.headers["etag"]
    again = client.get("/image/7", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    head = client.head("/image/7")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    # A new build's shell: a new page and a new ETag, not the kept one.
    shell = build / "image" / "0" / "index.html"
    shell.write_bytes(page_html("new image shell"))
    fresh = client.get("/image/7")
    assert "new image shell" in fresh.text and "ps-first-pic" in fresh.text
    assert fresh.headers["etag"] != etag


def test_a_picture_url_is_only_ever_a_plain_url_in_the_style(build: Path) -> None:
    odd = {1: '/media/a"b.webp', 2: "/media/a</style>.webp", 3: "/media/é.webp"}
    api = FastAPI()
    frontend = PrecompressedStaticFiles(directory=build, html=True, encodings=["gzip"])
    api.mount("", app=Mount("/", app=frontend, name="frontend"))
    install_frontend_serving(api, static_dir=build, picture_for=odd.get)
    for image_id in odd:
        resp = TestClient(api).get(f"/image/{image_id}")
        assert resp.status_code == 200 and "ps-first-pic" not in resp.text  # the plain shell
        assert "link" not in resp.headers
