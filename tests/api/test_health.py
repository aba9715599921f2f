"""Liveness and readiness probes against real databases and a real (or closed) Redis port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from pixel_studio.api import create_api
from pixel_studio.db import get_engine
from pixel_studio.settings import Settings, get_settings

# Redis that `make test` starts (scripts/ensure_services.sh); the tests never skip without it.
LIVE_REDIS = "redis://127.0.0.1:6379/0"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def use_database(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Point the process-wide engine at `url`: /readyz uses `get_engine()`, as production does."""
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(autouse=True)
def restore_engine() -> Iterator[None]:
    yield
    # Drop whatever engine a test built so later tests see the real settings again.
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def client_with(settings: Settings) -> TestClient:
    api = create_api()
    api.dependency_overrides[get_settings] = lambda: settings
    return TestClient(api)


def test_healthz_is_always_ok(settings: Settings) -> None:
    resp = client_with(settings).get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_readyz_with_a_reachable_database(
    db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(monkeypatch, db.url.render_as_string(hide_password=False))
    resp = client_with(settings).get("/readyz")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_readyz_503_when_the_database_is_unreachable(
    kind: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if kind == "sqlite":
        # A directory is not a database file: SQLite cannot open it.
        url = f"sqlite:///{tmp_path}"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing"
    use_database(monkeypatch, url)
    resp = client_with(settings).get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("error:")


def test_readyz_checks_redis_when_configured(
    db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(monkeypatch, db.url.render_as_string(hide_password=False))
    live = client_with(settings.model_copy(update={"redis_url": LIVE_REDIS})).get("/readyz")
    assert live.status_code == 200, live.text
    # REDIS_URL alone also makes it the Celery broker: checked too.
    assert live.json()["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}

    dead_url = f"redis://127.0.0.1:{closed_port()}/0"
    dead = client_with(settings.model_copy(update={"redis_url": dead_url})).get("/readyz")
    assert dead.status_code == 503
    assert dead.json()["checks"]["database"] == "ok"
    assert dead.json()["checks"]["redis"].startswith("error:")


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_readyz_503_when_the_celery_broker_is_down(
    scheme: str, db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis (cache, state) is up, the broker jobs go to is a dead port: not ready."""
    use_database(monkeypatch, db.url.render_as_string(hide_password=False))
    dead_broker = f"{scheme}://127.0.0.1:{closed_port()}/0"
    down = settings.model_copy(update={"redis_url": LIVE_REDIS, "celery_broker_url": dead_broker})
    resp = client_with(down).get("/readyz")
    assert resp.status_code == 503, resp.text
    checks = resp.json()["checks"]
    assert checks["database"] == "ok" and checks["redis"] == "ok"
    assert checks["broker"].startswith("error:")


def test_readyz_checks_no_broker_in_the_embedded_profile(
    db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(monkeypatch, db.url.render_as_string(hide_password=False))
    resp = client_with(settings).get("/readyz")
    assert resp.status_code == 200
    assert "broker" not in resp.json()["checks"]
