"""The backend's own HTTP routes, mounted on Reflex through `api_transformer`."""

from __future__ import annotations

from fastapi import FastAPI

from pixel_studio.api import auth_routes, health


def create_api() -> FastAPI:
    api = FastAPI(title="Pixel Studio API", docs_url="/api/docs", openapi_url="/api/openapi.json")
    api.include_router(health.router)
    api.include_router(auth_routes.router)
    return api
