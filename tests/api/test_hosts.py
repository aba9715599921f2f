"""The Host check, Origin against the allowed origins (DNS rebinding), HSTS, the Secure cookie
and the /metrics token of a deployed site (issue 13, item 7); on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import WebSocketDenialResponse
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from pixel_studio.api import create_api
from pixel_studio.api.deps import SESSION_COOKIE, db_session
from pixel_studio.api.hosts import HSTS_VALUE, HostGuard
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.settings import Settings, get_settings

LOGIN = {"login": "nobody", "password": "x" * 8}
DEPLOYED = "https://studio.example.com"
# One route of each kind: health, metrics, REST API, a form POST, media, a Reflex page.
ROUTES = [
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/auth/login"),
    ("GET", "/media/avatars/u1/a.webp"),
    ("GET", "/explore"),
]


def build(db: Engine, settings: Settings) -> FastAPI:
    """The API as `settings` configures it (middleware too), on the test database."""

    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            yield s
            s.commit()

    api = create_api(settings)
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[db_session] = session_override
    cache = MemoryCache()
    api.dependency_overrides[get_cache] = lambda: cache
    return api


@pytest.fixture
def deployed(settings: Settings) -> Settings:
    return settings.model_copy(update={"site_url": DEPLOYED, "trusted_proxy_hops": 1})


def call(client: TestClient, method: str, path: str, **kw: Any) -> Any:
    if method == "POST":
        return client.post(path, json=LOGIN, **kw)
    return client.get(path, **kw)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_foreign_host_is_refused_on_every_route(
    db: Engine, settings: Settings, method: str, path: str
) -> None:
    client = TestClient(build(db, settings), base_url="http://localhost:3000")
    for host in ("evil.example:3000", "evil.example", "localhost.evil.example:3000", "10.0.0.7"):
        refused = call(client, method, path, headers={"host": host})
        assert (refused.status_code, refused.text) == (400, "Invalid host header"), host
    for host in ("localhost:3000", "127.0.0.1:3000", "[::1]:3000", "LOCALHOST:3000"):
        served = call(client, method, path, headers={"host": host})
        assert served.status_code != 400, (host, served.text)


def test_a_deployed_site_answers_its_own_host_and_loopback_only(
    db: Engine, deployed: Settings
) -> None:
    client = TestClient(build(db, deployed), base_url=DEPLOYED)
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"host": "localhost:8000"}).status_code == 200  # probe
    for host in ("evil.example", "studio.example.com.evil.example", "www.studio.example.com"):
        assert client.get("/healthz", headers={"host": host}).status_code == 400, host
    # ALLOWED_HOSTS adds a name (an internal probe's), and only that one.
    extra = build(db, deployed.model_copy(update={"allowed_hosts": "web-1.internal, 10.0.0.7"}))
    probe = TestClient(extra, base_url="http://web-1.internal:8000")
    assert probe.get("/healthz").status_code == 200
    assert probe.get("/healthz", headers={"host": "10.0.0.7:8000"}).status_code == 200
    assert probe.get("/healthz", headers={"host": "web-2.internal"}).status_code == 400


# ---------------------------------------------------------------- the /_event socket


def socket_client(base_url: str) -> TestClient:
    """The real Reflex app's backend (its /_event Socket.IO server, with the origins rxconfig
    gives it) mounted under create_api()'s middleware, as Reflex mounts it when it serves."""
    from pixel_studio.pixel_studio import app

    api = create_api()
    assert app._api is not None
    api.mount("", app._api)
    return TestClient(api, base_url=base_url)


HANDSHAKE = "/_event/?EIO=4&transport=websocket"


def ws_headers(**headers: str) -> dict[str, str]:
    return {"upgrade": "websocket", "connection": "Upgrade", **headers}  # as a browser sends


def test_the_socket_handshake_checks_host_then_origin() -> None:
    client = socket_client("http://localhost:3000")
    for origin in ("http://localhost:3000", "http://127.0.0.1:3000"):
        with client.websocket_connect(HANDSHAKE, headers=ws_headers(origin=origin)) as ws:
            assert ws.receive_text().startswith('0{"sid"')  # Engine.IO's open packet
    # DNS rebinding: the attacker's name as Host and as Origin. Refused by the Host check.
    for host in ("evil.example:3000", "evil.example"):
        headers = ws_headers(host=host, origin=f"http://{host}")
        with (
            pytest.raises(WebSocketDenialResponse) as denied,
            client.websocket_connect(HANDSHAKE, headers=headers),
        ):
            pass
        assert denied.value.status_code == 400
    # Our Host, another site's Origin: the socket's own origin check (rxconfig) refuses it.
    with pytest.raises(WebSocketDisconnect) as refused:
        headers = ws_headers(origin="http://evil.example")
        with client.websocket_connect(HANDSHAKE, headers=headers) as ws:
            ws.receive_text()
    assert "not an accepted origin" in refused.value.reason


async def _run_guard(scope_extensions: dict[str, Any]) -> list[Message]:
    sent: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("a foreign Host must not reach the app")

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/_event/",
        "headers": [(b"host", b"evil.example")],
        "extensions": scope_extensions,
    }
    await HostGuard(app, allowed_hosts=["localhost"], www_redirect=False)(scope, receive, send)
    return sent


def test_a_server_without_denial_responses_gets_a_close_before_accept() -> None:
    import asyncio

    assert asyncio.run(_run_guard({})) == [{"type": "websocket.close", "code": 1008}]
    with_denial = asyncio.run(_run_guard({"websocket.http.response": {}}))
    assert with_denial[0]["type"] == "websocket.http.response.start"
    assert with_denial[0]["status"] == 400


# ---------------------------------------------------------------- Origin, not Host


def test_origin_is_compared_with_the_allowed_origins_never_with_host(
    db: Engine, deployed: Settings
) -> None:
    # A name the Host check accepts (an internal one) is still not an allowed Origin.
    api = build(db, deployed.model_copy(update={"allowed_hosts": "web-1.internal"}))
    client = TestClient(api, base_url=DEPLOYED)
    ours = client.post("/api/auth/login", json=LOGIN, headers={"origin": DEPLOYED})
    assert ours.status_code == 401  # past the guard, refused on its merits
    rebound = {"host": "web-1.internal", "origin": "http://web-1.internal"}
    for fetch_site in ({}, {"sec-fetch-site": "same-origin"}):
        refused = client.post("/api/auth/login", json=LOGIN, headers={**rebound, **fetch_site})
        assert refused.status_code == 403, fetch_site
    # The same rebinding with a name no setting mentions stops at the Host check.
    evil = {"host": "evil.example", "origin": "http://evil.example"}
    assert client.post("/api/auth/login", json=LOGIN, headers=evil).status_code == 400


# ---------------------------------------------------------------- https


def test_hsts_only_under_https(db: Engine, settings: Settings, deployed: Settings) -> None:
    https = TestClient(build(db, deployed), base_url=DEPLOYED)
    for method, path in ROUTES:
        resp = call(https, method, path)
        assert resp.headers.get("strict-transport-security") == HSTS_VALUE, path
    plain_deployed = deployed.model_copy(update={"site_url": "http://studio.example.com"})
    for site, s in (
        ("http://localhost:3000", settings),
        ("http://studio.example.com", plain_deployed),
    ):
        client = TestClient(build(db, s), base_url=site)
        for method, path in ROUTES:
            assert "strict-transport-security" not in call(client, method, path).headers, path


def _session_cookie(resp: Any) -> str:
    cookies = [c for c in resp.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert len(cookies) == 1, resp.headers
    return cookies[0].lower()


def test_the_session_cookie_is_secure_under_https(
    db: Engine, settings: Settings, deployed: Settings
) -> None:
    body = {"username": "secure1", "email": "secure1@example.com", "password": "correct horse"}
    https = TestClient(build(db, deployed), base_url=DEPLOYED)
    made = https.post("/api/auth/signup", json=body, headers={"origin": DEPLOYED})
    assert made.status_code == 201, made.text
    cookie = _session_cookie(made)
    assert "; secure" in cookie and "; httponly" in cookie and "samesite=lax" in cookie
    logged_in = https.post(
        "/api/auth/login", json={"login": "secure1", "password": "correct horse"}
    )
    assert "; secure" in _session_cookie(logged_in)

    plain = TestClient(build(db, settings), base_url="http://localhost:3000")
    body = {"username": "plain1", "email": "plain1@example.com", "password": "correct horse"}
    made = plain.post("/api/auth/signup", json=body)
    assert made.status_code == 201, made.text
    cookie = _session_cookie(made)
    assert "; secure" not in cookie and "; httponly" in cookie


# ---------------------------------------------------------------- /metrics


def test_metrics_of_a_deployed_site_need_the_token(
    db: Engine, settings: Settings, deployed: Settings
) -> None:
    # No token: nobody is answered, not even an address that looks private (the proxy's).
    no_token = TestClient(build(db, deployed), base_url=DEPLOYED, client=("10.0.0.2", 5000))
    assert no_token.get("/metrics").status_code == 404
    assert no_token.get("/metrics", headers={"x-forwarded-for": "127.0.0.1"}).status_code == 404
    with_token = deployed.model_copy(update={"metrics_token": "scrape-me"})
    client = TestClient(build(db, with_token), base_url=DEPLOYED, client=("10.0.0.2", 5000))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"authorization": "Bearer nope"}).status_code == 401
    ok = client.get("/metrics", headers={"authorization": "Bearer scrape-me"})
    assert ok.status_code == 200 and "pixel_studio_http_requests_total" in ok.text
    # `make run` (loopback SITE_URL) without a token still serves a local scraper.
    local = TestClient(build(db, settings), base_url="http://localhost:3000")
    assert local.get("/metrics").status_code == 200
