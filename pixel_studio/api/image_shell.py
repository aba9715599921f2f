"""An image page's shell with its picture already in it (issue 16).

`/image/<id>` is answered with the prerendered shell (frontend_build.SHELLS). The shell's
skeleton can show the page's picture before React runs, but only once the head script's JSON
has arrived and it has written the picture's style (components/first_paint.py). So on a phone
the largest paint waited for that JSON, even though the picture itself was preloaded with the
document (api/static_cache.py, the Link header). Here the server writes the same style into
the HTML it sends: the picture is in the first paint.

A page is the shell's bytes with one `<style>` added before `</head>`. It is kept per picture
(PAGES_KEPT, least recently used out) with its gzip form and an ETag, and forgotten when the
build's shell file changes. Anything unexpected (no shell, no `</head>`, a URL that is not a
plain one) leaves the request to the static files as before.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from starlette.datastructures import Headers
from starlette.types import Send

from pixel_studio.frontend_build import FIRST_PICTURE_STYLE_ID, first_picture_css

PAGES_KEPT = 512
GZIP_LEVEL = 6
HEAD_END = b"</head>"


def plain_url(url: str) -> bool:
    """Safe to write as is in a header and in a CSS string: printable ASCII, no quote,
    backslash or angle bracket (the storage's own URLs always are)."""
    return url.isascii() and url.isprintable() and not any(c in url for c in '<>"\\ ')


@dataclass(frozen=True)
class ShellPage:
    etag: str
    last_modified: str  # the shell file's, as StaticFiles sends it
    body: bytes
    gzipped: bytes


class ImageShells:
    """The image shell (`<build>/image/0/index.html`) with a picture's style written in."""

    def __init__(self, shell_file: Path) -> None:
        self._file = shell_file
        self._lock = threading.Lock()
        self._version: tuple[int, int] | None = None
        self._pages: OrderedDict[str, ShellPage] = OrderedDict()

    def page(self, picture: str) -> ShellPage | None:
        """The shell with `picture` (a `plain_url`, which the caller has checked) in it."""
        try:
            stat = self._file.stat()
        except OSError:
            return None
        version = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if version != self._version:  # a new build: every kept page is stale
                self._pages.clear()
                self._version = version
            if (kept := self._pages.get(picture)) is not None:
                self._pages.move_to_end(picture)
                return kept
        shell = self._file.read_bytes()
        if HEAD_END not in shell:
            return None
        css = first_picture_css(json.dumps(picture))
        style = f'<style id="{FIRST_PICTURE_STYLE_ID}">{css}</style>'.encode()
        body = shell.replace(HEAD_END, style + HEAD_END, 1)
        tag = hashlib.sha256(b"%d:%d:" % version + picture.encode()).hexdigest()[:20]
        modified = formatdate(stat.st_mtime, usegmt=True)
        made = ShellPage(f'W/"{tag}"', modified, body, gzip.compress(body, GZIP_LEVEL, mtime=0))
        with self._lock:
            self._pages[picture] = made
            while len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        return made


async def send_page(
    page: ShellPage, request_headers: Headers, head_only: bool, extra: dict[str, str], send: Send
) -> None:
    """The page as StaticFiles would send the shell: 304 on a matching ETag, gzip if taken."""
    headers = {
        "etag": page.etag,
        "last-modified": page.last_modified,
        "vary": "Accept-Encoding",
        **extra,
    }
    if page.etag in request_headers.get("if-none-match", ""):
        status, body = 304, b""
    else:
        status, body = 200, page.body
        headers["content-type"] = "text/html; charset=utf-8"
        if "gzip" in request_headers.get("accept-encoding", ""):
            body = page.gzipped
            headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(body))
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if head_only else body})
