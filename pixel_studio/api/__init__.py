"""The backend's own HTTP routes, mounted on Reflex through `api_transformer`."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from pixel_studio.access_log import AccessLogMiddleware
from pixel_studio.api import (
    auth_routes,
    discovery,
    google,
    health,
    hosts,
    media,
    metrics,
    share,
    stripe_webhook,
    v1,
)
from pixel_studio.api.csrf import CrossSiteGuard
from pixel_studio.api.visitor_reads import VisitorReads
from pixel_studio.metrics import MetricsMiddleware
from pixel_studio.settings import Settings, get_settings


def create_api(settings: Settings | None = None) -> FastAPI:
    """The routes and their middleware; `settings` (default: the environment's) configures
    the middleware, which routes cannot override per request (tests build https sites)."""
    api = FastAPI(title="Pixel Studio API", docs_url="/api/docs", openapi_url="/api/openapi.json")
    api.include_router(health.router)
    api.include_router(metrics.router)
    api.include_router(auth_routes.router)
    api.include_router(google.router)
    api.include_router(media.router)
    api.include_router(share.router)
    api.include_router(discovery.router)
    api.include_router(stripe_webhook.router)
    # Innermost, inside every middleware below: a visitor's warm read without the router.
    api.add_middleware(VisitorReads, routes=discovery.router.routes)
    v1.install(api)  # REST API v1, its JSON errors and catch-all: after every /api/v1 router
    settings = settings or get_settings()
    settings.check_startup()  # the app's start: refuse a production setup without SECRET_KEY
    # Every POST/PUT/PATCH/DELETE another site's page sends is refused here (api/csrf.py).
    api.add_middleware(CrossSiteGuard, allowed_origins=settings.socket_origins)
    # Holds only OAuth state + nonce between the redirect and the callback.
    api.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="ps_oauth",
        max_age=600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    # Every request counted by its route template (pixel_studio/metrics.py) ...
    api.add_middleware(MetricsMiddleware)
    # ... and logged, one line each (pixel_studio/access_log.py): inside the request id's
    # middleware, so the line carries it.
    api.add_middleware(AccessLogMiddleware)
    # ... and given a request id (X-Request-ID when it is a UUID, else a fresh one; echoed in
    # the response) that its log lines and any job it submits carry (logging_setup.py).
    api.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    # Outermost: a foreign Host header is refused (DNS rebinding), HSTS under https.
    hosts.install(api, settings)
    return api
