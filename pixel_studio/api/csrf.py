"""Cross-site requests refused for every state-changing route, before any route runs.

Browsers say where a request comes from in headers page scripts cannot set: `Sec-Fetch-Site`
(every current browser) and `Origin` (sent on every cross-origin POST). A request that another
site's page made, by form, fetch or image, is refused here with 403, whatever the route, so a
route added later is covered without remembering a dependency. Requests without these headers
(curl, the Stripe webhook, API clients with a Bearer token) carry no ambient browser cookie and
pass on to the route; cookie-authenticated routes check the CSRF token as well (`CsrfUser`).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = "Cross-site request refused."


def cross_site(headers: Headers, allowed_origins: frozenset[str]) -> bool:
    """True when a browser tells us another site's page sent this request."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True  # "same-site" too: a sibling subdomain is not us
    origin = headers.get("origin")
    if origin is None:
        return False
    # Only SITE_URL's origins, never "the same as Host": after DNS rebinding an attacker's
    # page sends its own name as both Origin and Host (api/hosts.py refuses that Host too).
    return origin not in allowed_origins


class CrossSiteGuard:
    """ASGI middleware: 403 for a cross-site POST/PUT/PATCH/DELETE on any HTTP route."""

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(o.rstrip("/") for o in allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and cross_site(Headers(scope=scope), self.allowed)
        ):
            await JSONResponse({"detail": REFUSED}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
