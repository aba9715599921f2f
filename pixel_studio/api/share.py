"""Share links and downloads for one image.

`GET /share/image/{id}`: Reflex exports pages as static HTML, so `/image/<id>` carries no
per-image title or picture for the crawlers and chat apps that unfurl links. This route renders
the OpenGraph / Twitter tags on the server and sends browsers on to the page (meta refresh and
a link; crawlers read the tags and stay). It is public by nature, so it answers as for a
visitor whoever asks: a private image is a 404 even for its owner (its picture has no public
URL to put in og:image), exactly like a missing id.

`GET /download/image/{id}`: the original file as an attachment, for whoever may see it (the
session cookie says who; the one visibility rule decides). The media route and S3 serve files
`inline`, and a `download` attribute is ignored across origins (S3), hence this route.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from pixel_studio.api.deps import OptionalUser, SessionDep, SettingsDep
from pixel_studio.services.errors import NotFound
from pixel_studio.services.studio.images import get_visible_image, image_url
from pixel_studio.settings import Settings
from pixel_studio.storage import content_type_for, get_storage
from pixel_studio.storage.base import StorageError

router = APIRouter()
DESCRIPTION_CHARS = 200
TITLE_CHARS = 70
SITE_NAME = "Pixel Studio"
NOT_FOUND_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Not found · Pixel Studio</title></head><body><h1>Image not found</h1>"
    "<p>It does not exist, was deleted, or is private.</p>"
    '<p><a href="/">Pixel Studio</a></p></body></html>'
)


def share_path(image_id: int) -> str:
    return f"/share/image/{image_id}"


def download_path(image_id: int) -> str:
    return f"/download/image/{image_id}"


def absolute(settings: Settings, url: str) -> str:
    """`url` made absolute against SITE_URL (local media URLs are paths; S3's are absolute)."""
    if url.startswith(("http://", "https://")):
        return url
    return settings.site_url.rstrip("/") + "/" + url.lstrip("/")


def share_url(settings: Settings, image_id: int) -> str:
    return absolute(settings, share_path(image_id))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def share_html(
    *, title: str, description: str, image: str, width: int, height: int, page: str
) -> str:
    """The share page. Every value is HTML-escaped: prompts are user input."""
    e = {k: escape(v, quote=True) for k, v in locals().items() if isinstance(v, str)}
    meta = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", SITE_NAME),
        ("property", "og:title", e["title"]),
        ("property", "og:description", e["description"]),
        ("property", "og:image", e["image"]),
        ("property", "og:image:alt", e["description"]),
        ("property", "og:image:width", str(width)),
        ("property", "og:image:height", str(height)),
        ("property", "og:url", e["page"]),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", e["title"]),
        ("name", "twitter:description", e["description"]),
        ("name", "twitter:image", e["image"]),
        ("name", "description", e["description"]),
    ]
    tags = "\n".join(f'<meta {attr}="{name}" content="{value}">' for attr, name, value in meta)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e["title"]}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{tags}
<link rel="canonical" href="{e["page"]}">
<meta http-equiv="refresh" content="0; url={e["page"]}">
</head>
<body>
<p><a href="{e["page"]}">Open the image on {SITE_NAME}</a></p>
<p><img src="{e["image"]}" alt="{e["description"]}" width="{width}" height="{height}"></p>
</body>
</html>
"""


@router.get("/share/image/{image_id}", include_in_schema=False)
def share_image(image_id: int, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        # As a visitor, whoever asks: see the module docstring.
        image = get_visible_image(session, None, image_id)
    except NotFound:
        return HTMLResponse(NOT_FOUND_HTML, status_code=404)
    storage = get_storage(settings)
    title = _clip(image.title or image.prompt, TITLE_CHARS)
    html = share_html(
        title=f"{title} · {SITE_NAME}",
        description=_clip(image.prompt, DESCRIPTION_CHARS),
        image=absolute(settings, image_url(storage, image, None)),
        width=image.width,
        height=image.height,
        page=absolute(settings, f"/image/{image_id}"),
    )
    # Public data, but it changes when the image goes private or is deleted: keep caches short.
    return HTMLResponse(html, headers={"Cache-Control": "public, max-age=300"})


@router.get("/download/image/{image_id}", include_in_schema=False)
def download_image(
    image_id: int, session: SessionDep, viewer: OptionalUser, settings: SettingsDep
) -> Response:
    viewer_id = viewer.id if viewer is not None else None
    try:
        image = get_visible_image(session, viewer_id, image_id)
    except NotFound:
        return Response("Not found", status_code=404, media_type="text/plain")
    try:
        data = get_storage(settings).get(image.original_key)
    except StorageError:
        return Response("Not found", status_code=404, media_type="text/plain")
    ext = image.original_key.rsplit(".", 1)[-1] if "." in image.original_key else "png"
    return Response(
        data,
        media_type=content_type_for(image.original_key),
        headers={
            "Content-Disposition": f'attachment; filename="pixel-studio-{image_id}.{ext}"',
            # Checked per viewer, and an image can turn private: no cache may keep the answer.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
