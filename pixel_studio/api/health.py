"""Liveness and readiness probes."""

from __future__ import annotations

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from pixel_studio.api.deps import SettingsDep
from pixel_studio.db import get_engine
from pixel_studio.job_queue import uses_celery
from pixel_studio.settings import Settings

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(settings: SettingsDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the message says which
        checks["database"] = f"error: {type(exc).__name__}"
    if settings.redis_url:
        try:
            redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except redis.RedisError as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    if uses_celery(settings):
        checks["broker"] = _broker_check(settings)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


def _broker_check(settings: Settings) -> str:
    """Can a job be queued? One connection to the Celery broker (Redis or RabbitMQ) through
    kombu, Celery's own transport layer, with a short timeout and no retry loop."""
    from kombu import Connection

    url = settings.celery_broker_url or settings.redis_url
    try:
        with Connection(url, connect_timeout=2, transport_options={"socket_timeout": 2}) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            if url.startswith(("redis://", "rediss://")):
                # kombu's Redis transport connects lazily: make it speak once.
                conn.default_channel.client.ping()
        return "ok"
    except Exception as exc:  # any failure means jobs cannot be queued
        return f"error: {type(exc).__name__}"
