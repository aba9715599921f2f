"""Reflex's own upload endpoint (POST /_upload, the settings page's avatar) against forgery.

How Reflex 0.10.1 authenticates it (reflex_components_core/core/_upload.py): the request names
a tab by its client token (`reflex-client-token` header, a per-tab secret the page keeps in
sessionStorage) and an event handler (`reflex-event-handler`); the upload becomes an event of
that token's state, with no router data of its own. The request's cookies are never read: who
is signed in is what the tab's socket brought (state.auth.checked_user_id reads it there).

So a page on another site cannot change a signed-in user's avatar:
- CrossSiteGuard (api/csrf.py) wraps the backend *including* the Reflex app it mounts
  (App._get_asgi_app mounts Reflex under the api_transformer), so a cross-site POST to
  /_upload is a 403 before Reflex sees it;
- the token header makes a cross-site fetch need a CORS preflight, which Reflex's CORS
  middleware (cors_allowed_origins = our own origins, rxconfig.py) does not grant;
- without the victim tab's token, a made-up one is a fresh state with no session: the avatar
  handler stores nothing.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from reflex.app import App
from reflex_components_core.core._upload import UploadChunk
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.db import session_scope
from pixel_studio.models import User
from pixel_studio.state.settings_page import SettingsState
from tests.state.test_account_state import (
    app_db,
    make_state,
    new_user,
    run,
    signed_in_cookie,
    signed_in_state,
)

__all__ = ["app_db"]  # a fixture, used by name below
UPLOAD_HEADERS = {
    "reflex-client-token": "3c1e5f7a-0000-4000-8000-000000000001",
    "reflex-event-handler": "state.settings_state.upload_avatar",
}


def backend(reached: list[str]) -> FastAPI:
    """The backend as Reflex assembles it: our FastAPI app (api_transformer) with CORS added
    and the Reflex app mounted under it at "" (App._get_asgi_app). The Reflex app here only
    records that an upload reached it."""

    async def upload(request: Request) -> Response:
        reached.append(request.headers.get("reflex-client-token", ""))
        return Response(status_code=200)

    api = create_api()
    App._add_cors(api)
    api.mount("", Starlette(routes=[Route("/_upload", upload, methods=["POST"])]))
    return api


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


def post_upload(client: TestClient, **headers: str) -> Any:
    files = {"files": ("me.png", png(), "image/png")}
    return client.post("/_upload", files=files, headers={**UPLOAD_HEADERS, **headers})


@pytest.mark.parametrize(
    "forged",
    [
        {"origin": "https://evil.example", "sec-fetch-site": "cross-site"},
        {"origin": "https://evil.example"},  # a browser without Sec-Fetch-*
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is not us
    ],
)
def test_a_cross_site_upload_is_refused_before_reflex(forged: dict[str, str]) -> None:
    reached: list[str] = []
    client = TestClient(backend(reached))
    client.cookies.set(SESSION_COOKIE, "a-signed-in-browser")
    r = post_upload(client, **forged)
    assert r.status_code == 403 and reached == []
    # Our own page's upload goes through to Reflex.
    ok = post_upload(client, origin="http://localhost:3000", **{"sec-fetch-site": "same-origin"})
    assert ok.status_code == 200 and reached == [UPLOAD_HEADERS["reflex-client-token"]]


def test_the_cors_preflight_for_the_token_header_is_not_granted_to_another_site() -> None:
    client = TestClient(backend([]))
    r = client.options(
        "/_upload",
        headers={
            "origin": "https://evil.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "reflex-client-token,reflex-event-handler",
        },
    )
    assert r.headers.get("access-control-allow-origin") is None


def test_a_made_up_client_token_stores_no_avatar(app_db: Path) -> None:
    """What a forger's own token gets: a state with no session (the upload's cookies are not
    read), so the handler consumes the stream, stores nothing and answers 'session ended'."""
    victim = new_user("vera")
    her_tab = signed_in_state(SettingsState, signed_in_cookie(victim), "/settings")
    forged = make_state(
        SettingsState, path="/settings", token=UPLOAD_HEADERS["reflex-client-token"]
    )
    pulled = 0

    async def chunks() -> AsyncIterator[Any]:
        nonlocal pulled
        pulled += 1
        yield UploadChunk(filename="me.png", offset=0, content_type="image/png", data=png())

    result = run(SettingsState.upload_avatar, forged, chunks())
    assert pulled == 1 and not forged.uploading and result is not None
    with session_scope() as s:
        assert [u.avatar_key for u in s.exec(select(User)).all()] == [None]
    # The same upload from her own tab (its token, its session) does store one.
    run(SettingsState.upload_avatar, her_tab, chunks())
    assert her_tab.avatar_error == ""
    with session_scope() as s:
        assert [u.avatar_key is not None for u in s.exec(select(User)).all()] == [True]
