"""Google sign-in through authlib's OpenID Connect client.

authlib keeps `state` and `nonce` in a short-lived signed cookie (Starlette's SessionMiddleware)
and checks both on the callback: a replayed or forged callback fails with MismatchingStateError,
and an ID token minted for another login fails its nonce check.
"""

from __future__ import annotations

import html
import logging
import time
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pixel_studio.api.cookies import set_session_cookie
from pixel_studio.api.deps import (
    SESSION_COOKIE,
    CacheDep,
    OptionalUser,
    SessionDep,
    SettingsDep,
    client_ip,
    same_origin_navigation,
)
from pixel_studio.services.accounts import auth, oauth
from pixel_studio.services.errors import AuthFailed, InvalidInput, RateLimited, ServiceError
from pixel_studio.settings import Settings

router = APIRouter()
log = logging.getLogger(__name__)
PROVIDER = "google"
UNAVAILABLE = "Google sign-in is unavailable right now. Try again later."
# Keys in the short-lived signed OAuth cookie (SessionMiddleware, 10 minutes).
CONNECT_KEY = "ps_connect"  # the signed-in account that pressed "Connect Google"
LINK_KEY = "ps_link"  # a Google identity waiting for its account's password
LINK_PATH = "/auth/google/link"
CONNECT_PATH = "/auth/google/connect"
NOT_CONFIGURED = "Google sign-in is not configured on this site."
USE_THE_BUTTON = "Use the button below to connect Google."
SIGN_IN_AGAIN = "Sign in again, then connect Google from Settings."
CANCELLED = "Google sign-in was cancelled."
EXPIRED = "Google sign-in failed or expired. Please try again."
LINK_SECONDS = 600


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


# What Settings may show after "Connect Google" (state/google_connect.py shows nothing else).
KNOWN_ERRORS = frozenset(
    {
        NOT_CONFIGURED,
        USE_THE_BUTTON,
        SIGN_IN_AGAIN,
        UNAVAILABLE,
        CANCELLED,
        EXPIRED,
        auth.LINKED_ELSEWHERE,
        auth.ALREADY_HAS_GOOGLE,
    }
)


def _to_settings(error: str = "") -> RedirectResponse:
    """Back to Settings after "Connect Google": `?google=connected`, or the reason it failed."""
    query = f"google_error={quote(error)}" if error else "google=connected"
    return RedirectResponse(f"/settings?{query}", status_code=303)


def _to_site_host(request: Request, settings: Settings) -> RedirectResponse | None:
    """The same path on SITE_URL's host, when the browser came in on another loopback alias.

    `make run` prints http://127.0.0.1:3000 while SITE_URL says localhost, and the socket
    accepts both (settings.site_origins). The OAuth round trip cannot span two hosts: the state
    cookie would be set on 127.0.0.1, the callback (built from SITE_URL, the one address
    registered with Google) arrives at localhost without it, and the session cookie must land
    where the pages are read. So the whole round trip moves to SITE_URL's host first. Only
    aliases the site accepts are moved, and only to SITE_URL: never an open redirect."""
    site = settings.site_url.strip().rstrip("/")
    here = f"{request.url.scheme}://{request.url.netloc}".lower()
    if here == site.lower() or here not in settings.socket_origins:
        return None
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{site}{request.url.path}{query}", status_code=303)


@router.get("/auth/google/login", include_in_schema=False)
async def google_login(request: Request, settings: SettingsDep) -> RedirectResponse:
    if not settings.google_enabled:
        return _failed(NOT_CONFIGURED)
    moved = _to_site_host(request, settings)
    if moved is not None:
        return moved
    redirect_uri = f"{settings.site_url.rstrip('/')}/auth/google/callback"
    try:
        response = await google_client(settings).authorize_redirect(request, redirect_uri)
    except Exception:  # discovery document unreachable, bad JSON…: tell the person, log why
        log.exception("Google sign-in could not start")
        return _failed(UNAVAILABLE)
    assert isinstance(response, RedirectResponse)
    return response


@router.get(CONNECT_PATH, include_in_schema=False)
async def google_connect(
    request: Request, settings: SettingsDep, user: OptionalUser
) -> RedirectResponse:
    """Settings' "Connect Google": link a Google identity to the signed-in account."""
    moved = _to_site_host(request, settings)
    if moved is not None:  # there the account must be signed in, and the button pressed
        return moved
    if user is None:
        return RedirectResponse("/login?next=%2Fsettings", status_code=303)
    if not settings.google_enabled:
        return _to_settings(error=NOT_CONFIGURED)
    if not same_origin_navigation(request):
        # Only our settings page starts this; a link from elsewhere is not the owner asking.
        return _to_settings(error=USE_THE_BUTTON)
    request.session[CONNECT_KEY] = user.id
    return await google_login(request, settings)


@router.get("/auth/google/callback", include_in_schema=False)
async def google_callback(
    request: Request, settings: SettingsDep, session: SessionDep
) -> RedirectResponse:
    connect_id = request.session.pop(CONNECT_KEY, None)
    fail = _failed if connect_id is None else (lambda message: _to_settings(error=message))
    if not settings.google_enabled:
        return fail(NOT_CONFIGURED)
    if request.query_params.get("error"):
        return fail(CANCELLED)
    try:
        token = await google_client(settings).authorize_access_token(request)
    except OAuthError as exc:
        log.info("Google callback refused: %s", exc.error)
        return fail(EXPIRED)
    except Exception:  # provider unreachable, bad token response…: never a 500
        log.exception("Google callback failed")
        return fail(UNAVAILABLE)
    claims = token.get("userinfo") or {}
    subject = str(claims.get("sub") or "")
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    user_agent = request.headers.get("user-agent", "")

    def connect() -> None:
        current = auth.user_for_token(session, request.cookies.get(SESSION_COOKIE))
        # The browser that finishes must still be signed in to the account that started.
        if current is None or current.id != connect_id:
            raise AuthFailed(SIGN_IN_AGAIN)
        oauth.connect_oauth(session, current.id or 0, PROVIDER, subject, email)
        session.commit()

    def sign_in() -> str:
        user = oauth.sign_in_with_oauth(
            session,
            settings,
            PROVIDER,
            subject,
            email,
            bool(claims.get("email_verified")),
            str(claims.get("name") or claims.get("given_name") or ""),
            ip=client_ip(request, settings),  # a new account counts against the sign-up limit
        )
        token = auth.create_session(session, user.id or 0, settings, user_agent)
        session.commit()
        return token

    try:
        # The DB work is blocking: keep it off the event loop.
        if connect_id is not None:
            await run_in_threadpool(connect)
            return _to_settings()
        session_token = await run_in_threadpool(sign_in)
    except oauth.PasswordNeeded as exc:
        session.rollback()
        request.session[LINK_KEY] = {
            "user_id": exc.user_id,
            "sub": subject,
            "email": exc.email,
            "at": int(time.time()),
        }
        return RedirectResponse(LINK_PATH, status_code=303)
    except ServiceError as exc:
        session.rollback()
        return fail(exc.message)
    except Exception:
        session.rollback()
        log.exception("Google sign-in failed")
        return fail(UNAVAILABLE)
    response = RedirectResponse("/home", status_code=303)
    set_session_cookie(response, session_token, settings)
    return response


def _pending_link(request: Request) -> dict[str, Any] | None:
    """The Google identity waiting for its account's password, if still fresh."""
    pending = request.session.get(LINK_KEY)
    if not isinstance(pending, dict) or time.time() - int(pending.get("at", 0)) > LINK_SECONDS:
        return None
    return pending


def _link_page(email: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Connect Google · Pixel Studio</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:26rem;margin:10vh auto;padding:0 1rem;
color:#1c2024}}
h1{{font-size:1.5rem}} label{{display:block;margin:1rem 0 .25rem;font-weight:600}}
input{{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;border:1px solid #bbb;
border-radius:6px}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem;border:0;border-radius:6px;
background:#6e56cf;color:#fff;cursor:pointer}}
.error{{color:#ce2c31}} a{{color:#6e56cf}}
</style></head><body><main>
<h1>Connect Google to your account</h1>
<p>An account with <strong>{html.escape(email)}</strong> already exists. Enter its password
to prove it is yours; Google sign-in then opens it too.</p>
{alert}
<form method="post" action="{LINK_PATH}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"
 required autofocus>
<button type="submit">Connect and sign in</button>
</form>
<p><a href="/login">Cancel</a></p>
</main></body></html>"""
    return HTMLResponse(body, status_code=status_code)


@router.get(LINK_PATH, include_in_schema=False, response_model=None)
async def link_form(request: Request) -> Response:
    pending = _pending_link(request)
    if pending is None:
        return _failed("Google sign-in expired. Please try again.")
    return _link_page(str(pending.get("email", "")))


@router.post(LINK_PATH, include_in_schema=False, response_model=None)
async def link_submit(
    request: Request, settings: SettingsDep, session: SessionDep, cache: CacheDep
) -> Response:
    pending = _pending_link(request)
    if pending is None:
        return _failed("Google sign-in expired. Please try again.")
    email = str(pending.get("email", ""))
    if not same_origin_navigation(request):
        return _link_page(email, "Submit this form from this page.", status_code=403)
    form = await request.form()
    password = form.get("password")
    password = password[:256] if isinstance(password, str) else ""
    ip = client_ip(request, settings)
    user_agent = request.headers.get("user-agent", "")

    def link() -> str:
        user = oauth.link_with_password(
            session,
            cache,
            settings,
            int(pending["user_id"]),
            PROVIDER,
            str(pending["sub"]),
            email,
            password,
            ip,
        )
        token = auth.create_session(session, user.id or 0, settings, user_agent)
        session.commit()
        return token

    try:
        session_token = await run_in_threadpool(link)
    except RateLimited as exc:
        session.rollback()
        page = _link_page(email, exc.message, status_code=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except (AuthFailed, InvalidInput) as exc:
        session.rollback()
        message = "Wrong password." if exc.field == "password" else exc.message
        return _link_page(email, message, status_code=401)
    except ServiceError as exc:
        session.rollback()
        request.session.pop(LINK_KEY, None)
        return _failed(exc.message)
    request.session.pop(LINK_KEY, None)
    response = RedirectResponse("/home", status_code=303)
    set_session_cookie(response, session_token, settings)
    return response
