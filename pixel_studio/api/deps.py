"""FastAPI dependencies: the DB session, settings, cache and the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from pixel_studio.cache import Cache, get_cache
from pixel_studio.db import session_scope
from pixel_studio.models import User
from pixel_studio.services.accounts import auth
from pixel_studio.settings import Settings, get_settings

SESSION_COOKIE = "ps_session"
CSRF_HEADER = "X-CSRF-Token"


def db_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# scope="function": commit before the response is sent. FastAPI's default ("request") runs the
# code after `yield` once the response has left, so a browser following a fresh session cookie
# could arrive before its session row is committed, and a failed commit would go unreported.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CacheDep = Annotated[Cache, Depends(get_cache)]


def client_ip(request: Request, settings: Settings) -> str:
    """The caller's address, read the way Reflex reads it for the socket (same setting)."""
    hops = settings.trusted_proxy_hops
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",")]
        forwarded = [ip for ip in forwarded if ip]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.client.host if request.client else "unknown"


def same_origin_navigation(request: Request) -> bool:
    """True when the request comes from one of our own pages, never from another site.

    Browsers say so in `Sec-Fetch-Site` (a header page scripts cannot set); older ones send a
    Referer we compare with our own host. With neither, the request is refused: routes that
    use this (sign-in links, connecting Google) are only ever reached from our pages."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    referer = request.headers.get("referer")
    return bool(referer) and urlsplit(referer or "").netloc == request.headers.get("host")


def optional_user(request: Request, session: SessionDep) -> User | None:
    return auth.user_for_token(session, request.cookies.get(SESSION_COOKIE))


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise HTTPException(status_code=401, detail="Sign in first.")
    return user


def csrf_checked_user(
    request: Request, settings: SettingsDep, user: Annotated[User, Depends(current_user)]
) -> User:
    """For cookie-authenticated POSTs outside Reflex's socket: the CSRF header must match."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not auth.check_csrf(token, request.headers.get(CSRF_HEADER), settings):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token.")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]
CsrfUser = Annotated[User, Depends(csrf_checked_user)]
