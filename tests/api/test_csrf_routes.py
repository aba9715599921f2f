"""Every state-changing HTTP route, found by walking create_api()'s route table (so a route
added later is covered without touching this file), is sent a forged request with a valid
session cookie and a missing or wrong CSRF token; nothing may be written.

Two forgeries per route:
- as a browser sends it from another site's page (Origin and Sec-Fetch-Site say so): 403 for
  every route, from api/csrf.CrossSiteGuard;
- with no browser headers at all: a route that lets the cookie change its answer must refuse
  with 403 (its CSRF check); a route that ignores the cookie (log-in, sign-up, Bearer-only
  /api/v1 writes, the signature-checked Stripe webhook) answers exactly as without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from pixel_studio.api import create_api
from pixel_studio.api.csrf import UNSAFE_METHODS
from pixel_studio.api.deps import CSRF_HEADER, SESSION_COOKIE, db_session
from pixel_studio.cache import MemoryCache, get_cache
from pixel_studio.services import users
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings, get_settings
from tests.services.social_helpers import make_image

CROSS_SITE = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
# Routes the walk must find: if it finds none of them, it is not walking the table.
KNOWN = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/logout"),
    ("POST", "/auth/google/link"),
    ("POST", "/api/stripe/webhook"),
}


def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every APIRoute, through included routers at any depth."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from walk(inner.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "routes"):  # a Mount or a plain router
            yield from walk(route.routes, prefix + getattr(route, "path", ""))


def unsafe_routes(api: FastAPI) -> list[tuple[str, str]]:
    found = {
        (method, path)
        for path, route in walk(api.router.routes)
        for method in route.methods or ()
        if method in UNSAFE_METHODS
    }
    return sorted(found)


def concrete(path: str, image_id: int) -> str:
    """Path parameters filled with a real id, so routes reach their real work."""
    path = re.sub(r"\{[^}]*:path\}", "x", path)
    return re.sub(r"\{[^}]*\}", str(image_id), path)


def snapshot(db: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with db.connect() as conn:
        return {
            name: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
            for name in SQLModel.metadata.tables
        }


@pytest.fixture
def client(db: Engine, settings: Settings) -> Iterator[TestClient]:
    def session_override() -> Iterator[Session]:
        with Session(db, expire_on_commit=False) as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    api = create_api()
    cache = MemoryCache()
    api.dependency_overrides[db_session] = session_override
    api.dependency_overrides[get_settings] = lambda: settings
    api.dependency_overrides[get_cache] = lambda: cache
    with TestClient(api, follow_redirects=False) as c:
        yield c


def test_every_state_changing_route_refuses_a_forged_request(
    client: TestClient, session: Session, settings: Settings, db: Engine
) -> None:
    api = client.app
    assert isinstance(api, FastAPI)
    routes = unsafe_routes(api)
    assert set(routes) >= KNOWN, f"the walk missed routes: {KNOWN - set(routes)}"
    user = users.create_user(session, "victim", "victim@example.com", "correct horse", bonus=5)
    image_id = make_image(session, user.id or 0)
    token = auth.create_session(session, user.id or 0, settings)
    session.commit()
    before = snapshot(db)
    checked = []
    for method, path in routes:
        url = concrete(path, image_id)
        for wrong in ({}, {CSRF_HEADER: "forged"}):
            # 1. From another site's page: refused before the route runs.
            client.cookies.clear()
            client.cookies.set(SESSION_COOKIE, token)
            resp = client.request(method, url, json={}, headers={**CROSS_SITE, **wrong})
            assert resp.status_code == 403, (method, path, resp.status_code, resp.text)
            assert snapshot(db) == before, f"{method} {path} wrote from a cross-site request"
            # 2. No browser headers: the cookie must not change the answer unless refused.
            with_cookie = client.request(method, url, json={}, headers=wrong)
            assert snapshot(db) == before, f"{method} {path} wrote with a forged token"
            client.cookies.clear()
            without = client.request(method, url, json={}, headers=wrong)
            assert snapshot(db) == before, f"{method} {path} wrote without a cookie"
            if with_cookie.status_code != 403:
                assert (with_cookie.status_code, with_cookie.content) == (
                    without.status_code,
                    without.content,
                ), f"{method} {path} acts on the session cookie without a CSRF check"
        checked.append((method, path))
    assert len(checked) == len(routes)
    print(f"\n{len(routes)} state-changing routes checked: {routes}")
    # The refusals came from the checks: the real token from our page does sign out.
    client.cookies.set(SESSION_COOKIE, token)
    csrf = auth.csrf_token(token, settings)
    same_site = {CSRF_HEADER: csrf, "origin": settings.site_url.rstrip("/")}
    assert client.post("/api/auth/logout", headers=same_site).status_code == 204


def test_same_origin_browser_requests_pass_the_guard(client: TestClient) -> None:
    """Our own pages' requests reach the route (here: a log-in that fails on its merits)."""
    for headers in (
        {"sec-fetch-site": "same-origin"},
        {"origin": "http://localhost:3000"},
        {"origin": "http://127.0.0.1:3000"},  # a loopback alias of SITE_URL's port
        {},
    ):
        resp = client.post(
            "/api/auth/login", json={"login": "nobody", "password": "x" * 8}, headers=headers
        )
        assert resp.status_code == 401, (headers, resp.text)
    for headers in (
        {"sec-fetch-site": "same-site"},
        {"origin": "null"},
        {"origin": "http://localhost:3000.evil.example"},
        # The Host the request was sent to, but not SITE_URL: what a DNS-rebound page sends.
        {"origin": "http://testserver", "sec-fetch-site": "same-origin"},
    ):
        resp = client.post(
            "/api/auth/login", json={"login": "nobody", "password": "x" * 8}, headers=headers
        )
        assert resp.status_code == 403, headers
