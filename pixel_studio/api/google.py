"""Google sign-in through authlib's OpenID Connect client.

authlib keeps `state` and `nonce` in a short-lived signed cookie (Starlette's SessionMiddleware)
and checks both on the callback: a replayed or forged callback fails with MismatchingStateError,
and an ID token minted for another login fails its nonce check.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from urllib.parse import quote

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from pixel_studio.api.cookies import set_session_cookie
from pixel_studio.api.deps import SessionDep, SettingsDep
from pixel_studio.services import auth
from pixel_studio.services.errors import ServiceError
from pixel_studio.settings import Settings

router = APIRouter()
log = logging.getLogger(__name__)
PROVIDER = "google"


@lru_cache(maxsize=4)
def _client(client_id: str, client_secret: str, discovery_url: str) -> StarletteOAuth2App:
    oauth = OAuth()
    oauth.register(
        PROVIDER,
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=discovery_url,
        client_kwargs={"scope": "openid email profile", "timeout": 10},
    )
    client = oauth.create_client(PROVIDER)
    assert isinstance(client, StarletteOAuth2App)
    return client


def google_client(settings: Settings) -> StarletteOAuth2App:
    return _client(
        settings.google_client_id, settings.google_client_secret, settings.google_discovery_url
    )


def _failed(message: str) -> RedirectResponse:
    return RedirectResponse(f"/login?error={quote(message)}", status_code=303)


@router.get("/auth/google/login", include_in_schema=False)
async def google_login(request: Request, settings: SettingsDep) -> RedirectResponse:
    if not settings.google_enabled:
        return _failed("Google sign-in is not configured on this site.")
    redirect_uri = f"{settings.site_url.rstrip('/')}/auth/google/callback"
    try:
        response = await google_client(settings).authorize_redirect(request, redirect_uri)
    except Exception:  # discovery document unreachable, bad JSON…: tell the person, log why
        log.exception("Google sign-in could not start")
        return _failed("Google sign-in is unavailable right now. Try again later.")
    assert isinstance(response, RedirectResponse)
    return response


@router.get("/auth/google/callback", include_in_schema=False)
async def google_callback(
    request: Request, settings: SettingsDep, session: SessionDep
) -> RedirectResponse:
    if not settings.google_enabled:
        return _failed("Google sign-in is not configured on this site.")
    if request.query_params.get("error"):
        return _failed("Google sign-in was cancelled.")
    try:
        token = await google_client(settings).authorize_access_token(request)
    except OAuthError as exc:
        log.info("Google callback refused: %s", exc.error)
        return _failed("Google sign-in failed or expired. Please try again.")
    claims = token.get("userinfo") or {}
    user_agent = request.headers.get("user-agent", "")

    def sign_in() -> str:
        user = auth.sign_in_with_oauth(
            session,
            settings,
            PROVIDER,
            str(claims["sub"]),
            claims.get("email"),
            bool(claims.get("email_verified")),
            str(claims.get("name") or claims.get("given_name") or ""),
        )
        token = auth.create_session(session, user.id or 0, settings, user_agent)
        session.commit()
        return token

    try:
        # The DB work is blocking: keep it off the event loop.
        session_token = await run_in_threadpool(sign_in)
    except ServiceError as exc:
        session.rollback()
        return _failed(exc.message)
    response = RedirectResponse("/home", status_code=303)
    set_session_cookie(response, session_token, settings)
    return response
