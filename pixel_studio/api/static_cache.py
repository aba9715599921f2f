"""How the built frontend is served (issue 16): every page answers at its own address, hashed
assets are cached for a year, HTML is revalidated, and dynamic text responses are compressed.

Reflex's production server (`reflex run --env prod --single-port`) serves `.web/build/client`
through Starlette's `StaticFiles(html=True)` (reflex/utils/exec.py, get_frontend_mount), with
gzip sidecars written at build time (rxconfig's `frontend_compression_formats`). Left alone:
- a page is prerendered as `explore/index.html`, and StaticFiles answers a directory asked for
  without its slash with a 307 to `/explore/`: a round trip before the first byte on every
  shared link, bookmark and nav link (all written `/explore`);
- nothing it serves carries Cache-Control, so a browser revalidates (or guesses with) each of
  the ~35 hashed scripts and styles of a page on every visit.

`FrontendServing` sits in front of the whole app. It serves `/explore` as `/explore/` (a path
rewrite, no redirect: the same file, ETag and gzip sidecar) and adds Cache-Control to the
responses that have none: a year and `immutable` for Vite's content-hashed `/assets/*-<hash>.*`,
`no-cache` (revalidate with the ETag / Last-Modified StaticFiles sends) for HTML, a day for the
unhashed files at the site root (favicons, robots.txt). A route that sets its own Cache-Control
(/media, the share page, the API) keeps it. Only the built frontend's files are touched: the
rewrite needs `<path>/index.html` in the build, the root-file rule a file at the build's root.

An image page a visitor may see also names its picture: a `Link` preload header, and the
shell's skeleton already showing it (api/image_shell.py), so the largest paint does not wait for
the page's JSON.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from anyio import to_thread
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixel_studio.api.image_shell import ImageShells, plain_url, send_page
from pixel_studio.cache import get_cache
from pixel_studio.db import read
from pixel_studio.frontend_build import shell_for
from pixel_studio.services.studio import image_detail
from pixel_studio.settings import get_settings
from pixel_studio.storage import get_storage

log = logging.getLogger(__name__)

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
ROOT_FILE = "public, max-age=86400"
# Vite names every emitted file `<name>-<hash>.<ext>`: 8 characters of base64url (or hex).
HASHED_ASSET = re.compile(r"^/assets/[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")
# Below this a gzip header costs more than it saves; the static files have build-time sidecars.
GZIP_MINIMUM_BYTES = 1024
# zlib's default: a 24-image explore page of JSON goes 10.5 KB -> 1.47 KB (level 9: 1.46 KB).
GZIP_LEVEL = 6


# An image page's address -> the URL of the picture it will show, if any visitor may see it.
PictureLookup = Callable[[int], str | None]
IMAGE_PAGE = re.compile(r"^/image/(\d{1,10})$")


def image_page_picture(image_id: int) -> str | None:
    """The picture a visitor's image page shows (what `GET /api/v1/images/<id>` names): the
    same cached read, the same public URL; None for a private, hidden or missing image."""
    cache = get_cache()
    try:
        key = read(lambda session: image_detail.visitor_picture_key(session, cache, image_id))
    except Exception:  # a hint only: the page itself must never fail for it
        log.warning("image page %s: picture not looked up", image_id, exc_info=True)
        return None
    return get_storage(get_settings()).public_url(key) if key else None


def _preload(picture: str) -> str:
    return f"<{picture}>; rel=preload; as=image; fetchpriority=high"


def frontend_dir() -> Path:
    """The built frontend Reflex serves in production (`.web/build/client`)."""
    from reflex.utils.prerequisites import get_web_dir
    from reflex_base.config import get_config
    from reflex_base.constants import Dirs

    return get_web_dir() / Dirs.STATIC / get_config().frontend_path.strip("/")


class FrontendServing:
    """ASGI middleware: page addresses without a redirect, and cache policy for the frontend."""

    def __init__(
        self,
        app: ASGIApp,
        static_dir: Path | None = None,
        picture_for: PictureLookup = image_page_picture,
    ) -> None:
        self.app = app
        self._static_dir = static_dir
        self._picture_for = picture_for
        self._shells: ImageShells | None = None

    def _image_shells(self, page: str) -> ImageShells:
        if self._shells is None:
            self._shells = ImageShells(
                self.static_dir.joinpath(*page.strip("/").split("/"), "index.html")
            )
        return self._shells

    @property
    def static_dir(self) -> Path:
        # Resolved on first use: the build's location is known once the app is configured.
        if self._static_dir is None:
            self._static_dir = frontend_dir().resolve()
        return self._static_dir

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        picture = None
        if scope["method"] in ("GET", "HEAD") and (page := self._page_directory(path)):
            # A build's page directories are plain ASCII: the raw path is the path itself.
            scope = {**scope, "path": page, "raw_path": page.encode()}
            if m := IMAGE_PAGE.match(path):
                # The page's largest picture starts with the HTML, not after the head script's
                # JSON fetch: a round trip less before the LCP on a shared link (issue 16).
                picture = await to_thread.run_sync(self._picture_for, int(m[1]))
                picture = picture if picture and plain_url(picture) else None
                shell = self._image_shells(page).page(picture) if picture else None
                if picture and shell:  # ... and it is in the first paint (api/image_shell.py)
                    extra = {"cache-control": REVALIDATE, "link": _preload(picture)}
                    head_only = scope["method"] == "HEAD"
                    await send_page(shell, Headers(scope=scope), head_only, extra, send)
                    return

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                status = int(message["status"])
                if "cache-control" not in headers:
                    policy = self._policy(path, status, headers)
                    if policy:
                        headers["Cache-Control"] = policy
                if picture and status == 200:
                    headers["Link"] = _preload(picture)
            await send(message)

        await self.app(scope, receive, send_with_cache_control)

    def _page_directory(self, path: str) -> str | None:
        """`/explore/` when the build has `explore/index.html` and `/explore` was asked for;
        `/image/0/` for `/image/42`, the prerendered shell of a dynamic page (frontend_build)."""
        if path.endswith("/") or "." in path.rsplit("/", 1)[-1]:
            return None
        parts = path[1:].split("/")  # "//explore" keeps an empty part: refused below
        if any(part in ("", "..") for part in parts) or "\\" in path or "\0" in path:
            return None
        if self.static_dir.joinpath(*parts, "index.html").is_file():
            return path + "/"
        shell = shell_for(path)
        if shell and self.static_dir.joinpath(*shell[1:].split("/"), "index.html").is_file():
            return shell + "/"
        return None

    def _policy(self, path: str, status: int, headers: Headers) -> str | None:
        if status in (200, 304) and HASHED_ASSET.match(path):
            return IMMUTABLE
        # 304: StaticFiles' Not Modified keeps the ETag but not the Content-Type.
        if status == 304 or headers.get("content-type", "").startswith("text/html"):
            return REVALIDATE
        name = path[1:]
        is_root_file = name and "/" not in name and "." in name
        if status == 200 and is_root_file and os.path.isfile(self.static_dir / name):
            return ROOT_FILE
        return None


def install_frontend_serving(
    api: object, static_dir: Path | None = None, picture_for: PictureLookup = image_page_picture
) -> None:
    """Add compression and the frontend's serving rules to the app Reflex mounts beneath.

    `api` is the FastAPI app given to `rx.App(api_transformer=...)`: Reflex mounts its own
    routes and the built frontend under it, so its middleware sees every HTTP request. GZip
    skips what is already encoded (the build's .gz sidecars), images and event streams.
    `static_dir` is the built frontend (tests); by default Reflex's `.web/build/client`.
    `picture_for`: an image page's picture, preloaded with the HTML (tests replace it).
    """
    if not isinstance(api, Starlette):
        raise TypeError("install_frontend_serving needs the FastAPI app of api_transformer")
    api.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    api.add_middleware(FrontendServing, static_dir=static_dir, picture_for=picture_for)
