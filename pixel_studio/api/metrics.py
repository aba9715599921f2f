"""`GET /metrics`: Prometheus exposition of every process's metrics (pixel_studio/metrics.py).

With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>` (Prometheus'
`authorization` scrape option), or gets 401. Without it, a deployed site (SITE_URL not
loopback) answers nobody: 404, because an address that looks private may be the proxy itself
(a wrong TRUSTED_PROXY_HOPS) and the site's activity (request rates per route, queue depth,
open tabs) must not leak through it. On a loopback SITE_URL (`make run`) without a token, only
a scraper on this machine or a private network is answered; a public address (as `client_ip`
reads it) gets the same plain 404.

What is exposed holds nothing about a person: routes by template, statuses, job outcomes,
error classes, counts (tests/ops/test_metrics_privacy.py sends names, emails, ids and tokens
and finds none of them there).
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request, Response

from pixel_studio import metrics
from pixel_studio.api.deps import SettingsDep, client_ip
from pixel_studio.settings import Settings

router = APIRouter()
_NO_STORE = {"Cache-Control": "no-store"}


def from_public_address(request: Request, settings: Settings) -> bool:
    """True when the caller's address is a global one (not loopback, private, link-local)."""
    try:
        addr = ipaddress.ip_address(client_ip(request, settings).split("%", 1)[0])
    except ValueError:
        return False  # no IP at all (a Unix socket): not a caller from the internet
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {settings.metrics_token}".encode()):
            return Response("metrics need the bearer token\n", status_code=401)
    elif not settings.site_is_loopback or from_public_address(request, settings):
        return Response("Not Found", status_code=404, headers=_NO_STORE)
    body, content_type = metrics.render()
    return Response(body, media_type=content_type, headers=_NO_STORE)
