"""`GET /metrics`: Prometheus exposition of every process's metrics (pixel_studio/metrics.py).

With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>` (Prometheus'
`authorization` scrape option); without it the route is open, and the proxy in front should
keep it off the public site (README, production section).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from pixel_studio import metrics
from pixel_studio.api.deps import SettingsDep

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request, settings: SettingsDep) -> Response:
    if settings.metrics_token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {settings.metrics_token}".encode()):
            return Response("metrics need the bearer token\n", status_code=401)
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
