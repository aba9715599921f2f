"""Who is calling /api/v1: a personal API token sent as `Authorization: Bearer <token>`.

Every write and every private read (me, generations, credits) takes the token ONLY: the
session cookie is never looked at there, so a page on another site cannot make a signed-in
browser write through the API (no CSRF surface: a browser does not attach a Bearer header by
itself). Public reads (images, comments, collections, follows) also accept the session cookie
when no token is sent, as /api/v1/images/{id} always has; they change nothing.

Every read (GET) counts against the read tier (services/rate_limits.READ) here, where the
caller is known: per user when a credential names one, per client network for a visitor
(`client_ip`, through TRUSTED_PROXY_HOPS). Writes are counted by their own tiers instead.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from pixel_studio.api.deps import SESSION_COOKIE, CacheDep, SessionDep, SettingsDep, client_ip
from pixel_studio.api.v1.errors import ApiError
from pixel_studio.cache import Cache
from pixel_studio.models import User
from pixel_studio.services import cached, rate_limits
from pixel_studio.services.accounts import api_tokens, auth
from pixel_studio.services.social import warm_read
from pixel_studio.settings import Settings

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A personal API token, created in Settings → API tokens.",
)
BearerCreds = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
READ_METHODS = frozenset({"GET", "HEAD"})


def count_read(request: Request, user_id: int | None, cache: Cache, settings: Settings) -> None:
    """One read for the read tier (RateLimited, a 429 with Retry-After, once over); other
    methods are left to the tiers of what they change."""
    if request.method in READ_METHODS:
        rate_limits.hit_read(cache, user_id, client_ip(request, settings), settings)


def counted_read(
    request: Request,
    user_id: int | None,
    cache: Cache,
    settings: Settings,
    name: str,
    scopes: Sequence[str],
) -> tuple[str, str | None]:
    """`count_read`, then the key of the cached entry `name` under `scopes` and the entry
    (None on a miss): one Redis round trip when everything is warm
    (services/social/warm_read.py)."""
    if request.method not in READ_METHODS:
        key = cached.key_for(cache, name, scopes)
        return key, cache.get(key)
    note = request.scope.get("state", {}).get(_COUNTED)
    if note is not None and note[0] == name:
        return note[1], None  # counted, and missed, before routing (api/visitor_reads.py)
    ip = client_ip(request, settings)
    return warm_read.counted_lookup(cache, settings, user_id, ip, name, scopes)


_COUNTED = "ps_counted_read"


def note_counted_miss(scope: MutableMapping[str, Any], name: str, key: str) -> None:
    """Tell `counted_read` that this request's read of `name` was counted and found nothing
    under `key`, so the route counts it once."""
    scope.setdefault("state", {})[_COUNTED] = (name, key)


READ_ONLY = "This API token may only read. Create a token with write access to change things."


def _from_token(session: SessionDep, creds: HTTPAuthorizationCredentials, request: Request) -> User:
    """The token's owner. 401 for an unknown, revoked or expired token; 403 when a read-only
    token is sent with anything but a read (whatever the route: one rule, in one place)."""
    found = api_tokens.token_owner(session, creds.credentials)
    if found is None:
        raise ApiError(
            401,
            "invalid_token",
            "This API token is not valid: it was revoked, expired or mistyped.",
            headers=_CHALLENGE,
        )
    user, scope = found
    if scope != api_tokens.WRITE and request.method not in READ_METHODS:
        raise ApiError(403, "read_only_token", READ_ONLY)
    return user


def token_user(
    request: Request,
    session: SessionDep,
    creds: BearerCreds,
    cache: CacheDep,
    settings: SettingsDep,
) -> User:
    """The token's owner; 401 without a valid Bearer token (cookies are ignored)."""
    if creds is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a personal API token: Authorization: Bearer <token>.",
            headers=_CHALLENGE,
        )
    user = _from_token(session, creds, request)
    count_read(request, user.id, cache, settings)
    return user


def resolve_viewer(request: Request, session: Session, creds: BearerCreds) -> User | None:
    """The token's owner if a token is sent (401 if it is not valid), else the session
    cookie's user, else None (an anonymous reader). Counts nothing."""
    if creds is not None:
        return _from_token(session, creds, request)
    if request.headers.get("authorization"):
        raise ApiError(
            401, "unauthorized", "Use Authorization: Bearer <token>.", headers=_CHALLENGE
        )
    return auth.user_for_token(session, request.cookies.get(SESSION_COOKIE))


def reader_id(request: Request, session: Session, creds: BearerCreds) -> int | None:
    """Whom a read that needs no viewer counts against: the credential's user, or None (a
    visitor, or a credential that is not valid: such a read is answered as a visitor's)."""
    if creds is not None:
        user = api_tokens.user_for_api_token(session, creds.credentials)
    else:
        user = auth.user_for_token(session, request.cookies.get(SESSION_COOKIE))
    return user.id if user is not None else None


def sends_credential(request: Request) -> bool:
    return "authorization" in request.headers or bool(request.cookies.get(SESSION_COOKIE))


def optional_viewer(
    request: Request,
    session: SessionDep,
    creds: BearerCreds,
    cache: CacheDep,
    settings: SettingsDep,
) -> User | None:
    """For public reads: `resolve_viewer`, then the read counted against them."""
    viewer = resolve_viewer(request, session, creds)
    count_read(request, viewer.id if viewer is not None else None, cache, settings)
    return viewer


TokenUser = Annotated[User, Depends(token_user)]
Viewer = Annotated[User | None, Depends(optional_viewer)]


def viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None else None


def uid(user: User) -> int:
    assert user.id is not None  # a stored user always has one
    return user.id
