"""The session cookie: HttpOnly, SameSite=Lax, Secure when the site is https."""

from __future__ import annotations

from starlette.responses import Response

from pixel_studio.api.deps import SESSION_COOKIE
from pixel_studio.settings import Settings


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


def safe_next(path: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/home"
    return path
