"""Sign-in over HTTP: the ticket exchange the UI uses, and a JSON API for other clients."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from pixel_studio.api.cookies import clear_session_cookie, safe_next, set_session_cookie
from pixel_studio.api.deps import (
    SESSION_COOKIE,
    CacheDep,
    CsrfUser,
    CurrentUser,
    SessionDep,
    SettingsDep,
    client_ip,
    same_origin_navigation,
)
from pixel_studio.models import User
from pixel_studio.services.accounts import auth
from pixel_studio.services.accounts.sessions import network_of
from pixel_studio.services.errors import Conflict, InvalidInput, RateLimited, ServiceError
from pixel_studio.settings import Settings

router = APIRouter()


class LoginBody(BaseModel):
    login: str = Field(max_length=320)
    password: str = Field(max_length=256)


class SignUpBody(BaseModel):
    username: str = Field(max_length=64)
    email: str = Field(max_length=320)
    password: str = Field(max_length=256)


class Me(BaseModel):
    id: int
    username: str
    credits: int
    is_admin: bool
    csrf_token: str


def _me(user: User, token: str, settings: SettingsDep) -> Me:
    return Me(
        id=user.id or 0,
        username=user.username,
        credits=user.credits,
        is_admin=user.is_admin,
        csrf_token=auth.csrf_token(token, settings),
    )


def _error(exc: ServiceError, status: int) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return JSONResponse(
        {"detail": exc.message, "field": exc.field}, status_code=status, headers=headers
    )


def _signed_in(
    user: User, request: Request, session: Session, settings: Settings, status_code: int = 200
) -> JSONResponse:
    """A fresh session for `user`: its cookie, and the user as JSON."""
    token = auth.create_session(
        session,
        user.id or 0,
        settings,
        request.headers.get("user-agent", ""),
        network_of(client_ip(request, settings)),
    )
    response = JSONResponse(_me(user, token, settings).model_dump(), status_code=status_code)
    set_session_cookie(response, token, settings)
    return response


@router.get("/auth/session", include_in_schema=False)
def activate(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    ticket: str = "",
    next: str = "/home",
) -> RedirectResponse:
    # Login CSRF: a link to here carrying someone else's ticket would sign this browser into
    # their account. Our pages load this URL themselves, so anything else is refused (and the
    # ticket left unspent).
    if not same_origin_navigation(request):
        return RedirectResponse("/login?expired=1", status_code=303)
    token = auth.activate_ticket(
        session,
        ticket[:128],
        settings,
        request.headers.get("user-agent", ""),
        network_of(client_ip(request, settings)),
    )
    if token is None:
        return RedirectResponse("/login?expired=1", status_code=303)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, token, settings)
    return response


@router.get("/auth/signed-out", include_in_schema=False)
def signed_out(request: Request, session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """Drops the cookie once its session is revoked (the UI revokes it over the socket first).

    A live session is left alone, so a link to this page cannot sign anyone out."""
    response = RedirectResponse("/", status_code=303)
    if auth.user_for_token(session, request.cookies.get(SESSION_COOKIE)) is None:
        clear_session_cookie(response, settings)
    return response


@router.post("/api/auth/signup", response_model=Me, status_code=201)
def api_signup(
    body: SignUpBody, request: Request, session: SessionDep, settings: SettingsDep, cache: CacheDep
) -> JSONResponse:
    try:
        user = auth.sign_up(
            session,
            cache,
            settings,
            body.username,
            body.email,
            body.password,
            client_ip(request, settings),
        )
    except RateLimited as exc:
        return _error(exc, 429)
    except ServiceError as exc:
        return _error(exc, 409 if isinstance(exc, Conflict) else 400)
    return _signed_in(user, request, session, settings, status_code=201)


@router.post("/api/auth/login", response_model=Me)
def api_login(
    body: LoginBody, request: Request, session: SessionDep, settings: SettingsDep, cache: CacheDep
) -> JSONResponse:
    try:
        user = auth.authenticate(
            session, cache, settings, body.login, body.password, client_ip(request, settings)
        )
    except RateLimited as exc:
        return _error(exc, 429)
    except InvalidInput as exc:
        return _error(exc, 400)
    except ServiceError as exc:
        return _error(exc, 401)
    return _signed_in(user, request, session, settings)


@router.post("/api/auth/logout", status_code=204)
def api_logout(
    request: Request, user: CsrfUser, session: SessionDep, settings: SettingsDep
) -> Response:
    auth.revoke(session, request.cookies.get(SESSION_COOKIE))
    # A bare Response: JSONResponse(None) would send "null" as the body of a 204, which
    # HTTP/1.1 forbids (uvicorn's h11 aborts the connection with LocalProtocolError).
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


@router.get("/api/auth/me", response_model=Me)
def api_me(request: Request, user: CurrentUser, settings: SettingsDep) -> Me:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise HTTPException(status_code=401, detail="Sign in first.")
    return _me(user, token, settings)
