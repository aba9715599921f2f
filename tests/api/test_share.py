"""Share links (OpenGraph page) and downloads, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.api.share import share_html
from pixel_studio.models import Image
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings
from pixel_studio.storage.local import LocalStorage
from tests.api.test_media import client, make_image  # noqa: F401  (fixture)

SITE = "http://localhost:3000"


class Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "meta":
            key = a.get("property") or a.get("name") or a.get("http-equiv") or ""
            self.tags[key] = a.get("content") or ""
        if tag == "a":
            self.links.append(a.get("href") or "")


def parse(html: str) -> Meta:
    meta = Meta()
    meta.feed(html)
    return meta


def world(db: Engine, settings: Settings) -> tuple[Image, Image, str, str]:
    """A public and a private image of `owner`; session tokens for the owner and another."""
    storage = LocalStorage(settings)
    with Session(db, expire_on_commit=False) as s:
        owner = users.create_user(s, "owner", "o@example.com", "longenough", bonus=0)
        other = users.create_user(s, "other", "x@example.com", "longenough", bonus=0)
        public = make_image(s, storage, owner.id or 0, private=False)
        private = make_image(s, storage, owner.id or 0, private=True)
        owner_token = auth.create_session(s, owner.id or 0, settings)
        other_token = auth.create_session(s, other.id or 0, settings)
        s.commit()
    return public, private, owner_token, other_token


def test_share_page_of_a_public_image_has_tags_and_sends_browsers_on(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
) -> None:
    public, _private, _o, _x = world(db, settings)
    r = client.get(f"/share/image/{public.id}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    meta = parse(r.text)
    page = f"{SITE}/image/{public.id}"
    assert meta.tags["og:title"] == "a red fox · Pixel Studio"
    assert meta.tags["og:description"] == "a red fox"
    assert meta.tags["og:image"] == f"{SITE}/media/{public.original_key}"
    assert meta.tags["og:url"] == page
    assert meta.tags["twitter:card"] == "summary_large_image"
    assert meta.tags["twitter:image"] == meta.tags["og:image"]
    assert meta.tags["refresh"] == f"0; url={page}"
    assert page in meta.links
    # The picture it names is really served to anyone.
    assert client.get(f"/media/{public.original_key}").status_code == 200


def test_private_and_missing_images_are_the_same_404_for_everyone(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
) -> None:
    public, private, owner_token, other_token = world(db, settings)
    missing = (private.id or 0) + 1000
    bodies = set()
    for token in (None, other_token, owner_token):
        client.cookies.clear()
        if token:
            client.cookies.set(SESSION_COOKIE, token)
        for image_id in (private.id, missing):
            r = client.get(f"/share/image/{image_id}")
            assert r.status_code == 404
            assert private.original_key not in r.text and "red fox" not in r.text
            bodies.add(r.text)
        # A public image's share page is the same whoever asks: nothing depends on the cookie.
        bodies_public = client.get(f"/share/image/{public.id}").text
        assert f"/image/{public.id}" in bodies_public
    assert len(bodies) == 1, "a private image must look exactly like a missing one"
    assert client.get("/share/image/abc").status_code == 422


def test_download_is_an_attachment_for_those_who_may_see_it(
    client: TestClient,  # noqa: F811
    db: Engine,
    settings: Settings,
) -> None:
    public, private, owner_token, other_token = world(db, settings)
    r = client.get(f"/download/image/{public.id}")
    assert r.status_code == 200 and r.content == b"\x89PNG fake"
    assert r.headers["content-type"] == "image/png"
    expected = f'attachment; filename="pixel-studio-{public.id}.png"'
    assert r.headers["content-disposition"] == expected
    assert "no-store" in r.headers["cache-control"]

    assert client.get(f"/download/image/{private.id}").status_code == 404
    client.cookies.set(SESSION_COOKIE, other_token)
    assert client.get(f"/download/image/{private.id}").status_code == 404
    client.cookies.set(SESSION_COOKIE, owner_token)
    r = client.get(f"/download/image/{private.id}")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment;")
    assert client.get(f"/download/image/{(private.id or 0) + 1000}").status_code == 404


def test_share_html_escapes_user_text() -> None:
    html = share_html(
        title='"><script>alert(1)</script>',
        description="a & b <i>",
        image="http://x/a.png",
        width=8,
        height=8,
        page="http://x/image/1",
    )
    assert "<script>" not in html
    assert re.search(r'content="&quot;&gt;&lt;script&gt;', html)
    assert parse(html).tags["og:description"] == "a & b <i>"
