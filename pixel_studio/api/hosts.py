"""Which Host the backend answers, and HSTS for an https site.

DNS rebinding: a page at `http://evil.example:3000` whose name is re-pointed at the app's
address becomes "same origin" with the app in the browser, and sends `Host: evil.example`.
Starlette's TrustedHostMiddleware answers such a request with 400 before any route, page or
the `/_event` socket handshake (a websocket scope: Starlette sends the 400 as the handshake's
denial response) sees it. The accepted names are SITE_URL's host, the loopback aliases and
ALLOWED_HOSTS (settings.trusted_hosts). The Origin check is separate and compares with the
allowed origins only, never with Host (api/csrf.py, and Reflex's socket through rxconfig).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixel_studio.settings import Settings

# One year; no includeSubDomains or preload: the site does not speak for its siblings.
HSTS_VALUE = "max-age=31536000"


class HstsMiddleware:
    """Adds Strict-Transport-Security to every HTTP response (pages, API, media)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("strict-transport-security", HSTS_VALUE)
            await send(message)

        await self.app(scope, receive, send_with_hsts)


class HostGuard(TrustedHostMiddleware):
    """TrustedHostMiddleware, and for a socket handshake on a server without ASGI's denial
    response extension, a close before accept (the server answers 403) instead of an error."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
            "extensions", {}
        ):
            send = _close_instead_of_denial(send)
        await super().__call__(scope, receive, send)


def _close_instead_of_denial(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "websocket.http.response.start":
            await send({"type": "websocket.close", "code": 1008})
        elif message["type"] != "websocket.http.response.body":
            await send(message)

    return wrapped


def install(api: FastAPI, settings: Settings) -> None:
    """Add the guards outermost (call after every other middleware): a request for a foreign
    Host is refused before it is logged, counted or routed."""
    if settings.secure_cookies:  # SITE_URL is https: browsers must never fall back to http
        api.add_middleware(HstsMiddleware)
    # www_redirect off: a host we do not serve is refused, never redirected somewhere.
    api.add_middleware(HostGuard, allowed_hosts=settings.trusted_hosts, www_redirect=False)
