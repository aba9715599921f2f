"""Who is calling /api/v1: a personal API token sent as `Authorization: Bearer <token>`.

Every write and every private read (me, generations, credits) takes the token ONLY: the
session cookie is never looked at there, so a page on another site cannot make a signed-in
browser write through the API (no CSRF surface: a browser does not attach a Bearer header by
itself). Public reads (images, comments, collections, follows) also accept the session cookie
when no token is sent, as /api/v1/images/{id} always has; they change nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pixel_studio.api.deps import SESSION_COOKIE, SessionDep
from pixel_studio.api.v1.errors import ApiError
from pixel_studio.models import User
from pixel_studio.services import api_tokens, auth

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="A personal API token, created in Settings → API tokens.",
)
BearerCreds = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _from_token(session: SessionDep, creds: HTTPAuthorizationCredentials) -> User:
    user = api_tokens.user_for_api_token(session, creds.credentials)
    if user is None:
        raise ApiError(
            401,
            "invalid_token",
            "This API token is not valid: it was revoked or mistyped.",
            headers=_CHALLENGE,
        )
    return user


def token_user(session: SessionDep, creds: BearerCreds) -> User:
    """The token's owner; 401 without a valid Bearer token (cookies are ignored)."""
    if creds is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a personal API token: Authorization: Bearer <token>.",
            headers=_CHALLENGE,
        )
    return _from_token(session, creds)


def optional_viewer(request: Request, session: SessionDep, creds: BearerCreds) -> User | None:
    """For public reads: the token's owner if a token is sent (401 if it is not valid), else
    the session cookie's user, else None (an anonymous reader)."""
    if creds is not None:
        return _from_token(session, creds)
    if request.headers.get("authorization"):
        raise ApiError(
            401, "unauthorized", "Use Authorization: Bearer <token>.", headers=_CHALLENGE
        )
    return auth.user_for_token(session, request.cookies.get(SESSION_COOKIE))


TokenUser = Annotated[User, Depends(token_user)]
Viewer = Annotated[User | None, Depends(optional_viewer)]


def viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None else None


def uid(user: User) -> int:
    assert user.id is not None  # a stored user always has one
    return user.id
