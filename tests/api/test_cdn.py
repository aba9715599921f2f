"""MEDIA_BASE_URL (issue 15, part 4): public images and avatars leave through the CDN host,
private files only through signed (local) or presigned (S3) URLs. Over the API, on SQLite and
PostgreSQL, with local storage and with S3 (moto on loopback behind a loopback "CDN")."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.cache import MemoryCache
from pixel_studio.services import users
from pixel_studio.services.accounts import api_tokens, auth
from pixel_studio.settings import Settings
from pixel_studio.storage import Storage, get_storage, reset_storage_cache
from pixel_studio.storage.base import InvalidKey, public_url_for
from tests.api.rest_helpers import api_client, bearer
from tests.api.test_media import make_image
from tests.storage.test_s3_storage import (  # noqa: F401  (fixtures)
    aws_env,
    bucket,
    endpoint,
    fetch,
    make_settings,
)

CDN = "https://cdn.example.test"


@pytest.fixture(autouse=True)
def _fresh_storage() -> Iterator[None]:
    reset_storage_cache()  # backends are cached per settings: none built by another test
    yield
    reset_storage_cache()


def test_one_rule_decides_every_public_url() -> None:
    def origin(key: str) -> str:
        return f"https://bucket.example/{key}"

    assert public_url_for("images/u1/a.png", "", origin) == "https://bucket.example/images/u1/a.png"
    assert public_url_for("images/u1/a.png", CDN, origin) == f"{CDN}/images/u1/a.png"
    assert public_url_for("avatars/u1.webp", CDN + "/", origin) == f"{CDN}/avatars/u1.webp"
    for bad in ("private/images/u1/a.png", "../etc/passwd", "images//a.png"):
        with pytest.raises(InvalidKey):
            public_url_for(bad, CDN, origin)


@pytest.mark.parametrize(
    "value",
    [
        "cdn.example.com",
        "/static",
        "ftp://cdn.example.com",
        "https://cdn.example.com/?v=1",
        "https://user:pw@cdn.example.com",
        "https://",
    ],
)
def test_a_bad_media_base_url_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError, match="MEDIA_BASE_URL"):
        Settings(_env_file=None, data_dir=tmp_path, media_base_url=value)  # type: ignore[call-arg]


def test_media_base_url_is_trimmed(tmp_path: Path) -> None:
    s = Settings(_env_file=None, data_dir=tmp_path, media_base_url=" https://cdn.example.com/m/ ")  # type: ignore[call-arg]
    assert s.media_base_url == "https://cdn.example.com/m"


def _world(db: Engine, settings: Settings, storage: Storage) -> tuple[int, int, str, str]:
    """(public id, private id, the owner's session cookie, the owner's API token); the owner
    has an avatar."""
    with Session(db, expire_on_commit=False) as s:
        owner = users.create_user(s, "owner", "o@example.com", "longenough", bonus=0)
        public = make_image(s, storage, owner.id or 0, private=False)  # type: ignore[arg-type]
        private = make_image(s, storage, owner.id or 0, private=True)  # type: ignore[arg-type]
        # Private files live under the never-public prefix, as services.studio.images keeps them.
        for field in ("original_key", "thumbnail_key"):
            key = getattr(private, field)
            storage.put(f"private/{key}", storage.get(key), "image/png")
            storage.delete(key)
            setattr(private, field, f"private/{key}")
        owner.avatar_key = f"avatars/u{owner.id}/a1.webp"
        storage.put(owner.avatar_key, b"RIFF avatar", "image/webp")
        s.add(owner)
        cookie = auth.create_session(s, owner.id or 0, settings)
        s.commit()
        token = api_tokens.create_token(s, owner.id or 0, "laptop").secret
        return public.id or 0, private.id or 0, cookie, token


def _check_urls(
    client: TestClient, db: Engine, settings: Settings, storage: Storage, cdn: str
) -> dict[str, str]:
    """Explore, an image page, the owner's private image and avatar over the API; returns the
    URLs seen, checked against the rule."""
    public, private, cookie, token = _world(db, settings, storage)
    card = client.get("/api/v1/explore").json()["items"][0]
    assert card["id"] == public
    assert card["url"].startswith(cdn + "/images/") and card["thumbnail_url"].startswith(
        cdn + "/images/"
    )
    shown = client.get(f"/api/v1/images/{public}").json()["image"]
    assert shown["url"] == card["url"]
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert me["avatar_url"].startswith(cdn + "/avatars/")

    client.cookies.set(SESSION_COOKIE, cookie)
    mine = client.get(f"/api/v1/images/{private}").json()["image"]
    client.cookies.clear()
    for url in (mine["url"], mine["thumbnail_url"]):
        assert not url.startswith(cdn) and "private/" in url  # never through the cdn
    assert client.get(f"/api/v1/images/{private}").status_code == 404
    return {"public": card["url"], "private": mine["url"], "avatar": me["avatar_url"]}


def test_local_storage_behind_a_cdn(db: Engine, settings: Settings) -> None:
    settings = settings.model_copy(update={"media_base_url": CDN})
    storage = get_storage(settings)
    with api_client(db, settings, MemoryCache()) as client:
        urls = _check_urls(client, db, settings, storage, CDN)
        # The CDN's origin is the app's /media/: the path after the CDN host is served there.
        for kind in ("public", "avatar"):
            assert client.get("/media" + urlsplit(urls[kind]).path).status_code == 200
        # The private file keeps its signed /media URL (checked by the media route).
        assert urls["private"].startswith("/media/private/") and "sig=" in urls["private"]


class _Cdn:
    """A pull-through "CDN" on loopback: GET /<key> fetches origin/<key> anonymously."""

    def __init__(self, origin: str) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.paths.append(self.path)
                status, body, headers = fetch(origin + self.path)
                self.send_response(status)
                self.send_header("Content-Type", headers.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.paths: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_s3_behind_a_cdn(
    db: Engine,
    tmp_path: Path,
    endpoint: str,  # noqa: F811
    bucket: str,  # noqa: F811
) -> None:
    # The CDN's origin is the bucket with S3_PREFIX as its origin path (README's policy makes
    # the public prefixes anonymously readable there).
    cdn = _Cdn(f"{endpoint}/{bucket}/studio")
    try:
        settings = make_settings(tmp_path, endpoint, bucket, prefix="studio/").model_copy(
            update={"media_base_url": cdn.url}
        )
        storage = get_storage(settings)
        with api_client(db, settings, MemoryCache()) as client:
            urls = _check_urls(client, db, settings, storage, cdn.url)
        for kind in ("public", "avatar"):
            with urllib.request.urlopen(urls[kind], timeout=5) as response:
                assert response.status == 200
                assert response.read().startswith((b"\x89PNG", b"RIFF"))
        assert len(cdn.paths) == 2
        # The private file: a presigned URL on the S3 endpoint itself, short-lived.
        private = urlsplit(urls["private"])
        assert urls["private"].startswith(f"{endpoint}/{bucket}/studio/private/")
        assert parse_qs(private.query)["X-Amz-Expires"] == ["300"]
        assert fetch(urls["private"])[0] == 200
        # ... and through the CDN's origin, anonymously, the private prefix is refused.
        assert fetch(f"{cdn.url}/{private.path.split('/studio/', 1)[1]}")[0] == 403
    finally:
        cdn.close()


def test_pages_preconnect_to_the_cdn() -> None:
    from pixel_studio.components.theme import head_components

    with_cdn = " ".join(str(c.render()) for c in head_components(CDN))
    assert "preconnect" in with_cdn and CDN in with_cdn
    assert "preconnect" not in " ".join(str(c.render()) for c in head_components())
