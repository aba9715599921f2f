"""The one place where every socket event learns who is asking (issue 13, item 5).

A Reflex middleware runs before each event handler, under the tab's state lock, with the
router data of the socket that sent the event. It re-derives the viewer from that socket's
session cookie (`AuthState._verify_identity`), so handlers read `AuthState._user_id` as a fact
about this event, not as a value cached from an earlier one. It is added first, ahead of any
other middleware, so even the hydrate snapshot a new socket receives is taken after the reset.

Uploads are the one event that does not come over the socket: the browser POSTs the file to
`/_upload` with the tab's token in a header, and Reflex runs the handler with no router data
of its own (the tab keeps the last socket's cookie). Whoever knows a tab's token could then
upload as that tab's user. So the upload request's own cookie is noted on its way in
(`UploadCookies`, in the process that will run the handler) and the upload event runs only
if that cookie's live session is the tab's user; otherwise the tab is signed out first.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from reflex.middleware import Middleware
from reflex.state import BaseState, StateUpdate
from reflex_base.event import Event
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from pixel_studio.state.auth import AuthState, live_user_id, session_token

if TYPE_CHECKING:
    from reflex.app import App

UPLOAD_PATH = "/_upload"
PENDING_SECONDS = 600.0  # a slow 20 MB upload's handler starts once its args have arrived
MAX_PENDING = 10_000  # a flood of upload requests cannot grow the table without bound

# (tab token, handler name) -> (session token of the upload request's cookie, noted at)
_pending_uploads: dict[tuple[str, str], tuple[str | None, float]] = {}


def note_upload(client_token: str, handler: str, cookie_header: str | None) -> None:
    now = time.monotonic()
    if len(_pending_uploads) >= MAX_PENDING:
        for key, (_cookie, noted) in list(_pending_uploads.items()):
            if now - noted > PENDING_SECONDS:
                del _pending_uploads[key]
        if len(_pending_uploads) >= MAX_PENDING:
            _pending_uploads.pop(next(iter(_pending_uploads)))
    _pending_uploads[(client_token, handler)] = (session_token(cookie_header), now)


def take_upload(client_token: str, handler: str) -> tuple[bool, str | None]:
    """(whether this event is a noted upload, the session token its request carried)."""
    noted = _pending_uploads.pop((client_token, handler), None)
    if noted is None or time.monotonic() - noted[1] > PENDING_SECONDS:
        return False, None
    return True, noted[0]


class UploadCookies:
    """ASGI middleware: note the cookie of each upload request for the event it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == UPLOAD_PATH:
            headers = Headers(scope=scope)
            client_token = headers.get("reflex-client-token")
            handler = headers.get("reflex-event-handler")
            if client_token and handler:
                note_upload(client_token, handler, headers.get("cookie"))
        await self.app(scope, receive, send)


class IdentityMiddleware(Middleware):
    async def preprocess(self, app: App, state: BaseState, event: Event) -> StateUpdate | None:
        auth = await state.get_state(AuthState)
        await auth._verify_identity()
        if not event.router_data:  # not from a socket: maybe an upload
            is_upload, cookie = take_upload(auth.router.session.client_token, event.name)
            if is_upload and auth._user_id is not None:
                uploader = await asyncio.to_thread(live_user_id, cookie) if cookie else None
                if uploader != auth._user_id:
                    await auth._sign_out_tab()
                    auth._user_id = None
        return None  # never swallows the event: the handler runs, with the verified identity


def install(app: App) -> None:
    app.add_middleware(IdentityMiddleware(), index=0)
    if app.api_transformer is not None and hasattr(app.api_transformer, "add_middleware"):
        app.api_transformer.add_middleware(UploadCookies)
