"""The static files Reflex serves from assets/ at the site root, and the head that uses them."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from pixel_studio.components.theme import (
    SOCIAL_IMAGE,
    SOCIAL_IMAGE_SIZE,
    head_components,
    social_image_url,
)

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def asset(url: str) -> Path:
    assert url.startswith("/"), url
    return ASSETS / url.lstrip("/")


def test_favicon_is_a_real_multi_size_icon() -> None:
    with Image.open(ASSETS / "favicon.ico") as icon:
        assert icon.format == "ICO"
        assert {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
        icon.size = (16, 16)
        pixels = icon.convert("RGBA")
        # Not blank: a coloured tile with a white sparkle in the middle, see-through corners.
        assert min(pixels.getpixel((8, 8))[:3]) > 240
        assert pixels.getpixel((0, 0))[3] < 128
        assert len(set(pixels.getdata())) > 10


def test_png_icons_and_share_image_have_their_sizes() -> None:
    for name, size in (
        ("favicon-32.png", (32, 32)),
        ("icon-192.png", (192, 192)),
        ("apple-touch-icon.png", (180, 180)),
        ("social.png", SOCIAL_IMAGE_SIZE),
    ):
        with Image.open(ASSETS / name) as image:
            assert (image.format, image.size) == ("PNG", size), name
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 50, name
    assert SOCIAL_IMAGE_SIZE == (1200, 630)


def test_robots_keeps_crawlers_out_of_accounts_and_the_api() -> None:
    lines = (ASSETS / "robots.txt").read_text().splitlines()
    assert "User-agent: *" in lines
    for path in ("/api/", "/auth/", "/settings", "/create"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /" not in lines  # public pages stay indexable


def test_head_links_only_files_that_exist() -> None:
    rendered = " ".join(str(c.render()) for c in head_components())
    hrefs = re.findall(r'href:"([^"]+)"', rendered)
    assert "/favicon.ico" in hrefs and "/apple-touch-icon.png" in hrefs
    assert not [h for h in hrefs if h.startswith("data:")]  # no inline icon any more
    for href in hrefs:
        assert asset(href).is_file(), href
    assert 'content:"summary_large_image"' in rendered
    assert asset(SOCIAL_IMAGE).is_file()


def test_pages_share_the_social_image_by_absolute_url() -> None:
    assert (
        social_image_url("https://studio.example.com/") == "https://studio.example.com/social.png"
    )
    from pixel_studio.pixel_studio import app

    pages = app._unevaluated_pages
    assert pages
    for route, page in pages.items():
        assert page.image.endswith(SOCIAL_IMAGE), route  # never Reflex's "favicon.ico"
        assert page.image.startswith("http"), route
