"""Every error under /api/v1 is `{"error": {"code", "message", "field"}}` JSON.

The handlers are installed on the whole FastAPI app (Starlette has no per-router handlers) but
only reshape responses for paths under /api/v1; other routes keep FastAPI's default shapes
(their clients, the sign-in forms and OAuth callback, rely on them).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import (
    http_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from pixel_studio.services.errors import (
    AuthFailed,
    Busy,
    Conflict,
    InsufficientCredits,
    InvalidInput,
    NotAllowed,
    NotFound,
    RateLimited,
    ServiceError,
)

PREFIX = "/api/v1"


class ErrorDetail(BaseModel):
    code: str  # stable, for programs: "not_found", "invalid_input", "unauthorized", ...
    message: str  # for people
    field: str | None = None  # the query or body field it is about, when there is one


class ErrorOut(BaseModel):
    error: ErrorDetail


class ApiError(StarletteHTTPException):
    """An HTTP refusal with its own code; turned into ErrorOut by the handler below."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.field = field


# Service refusals by type: (status, code). The first match in this order wins.
_SERVICE: list[tuple[type[ServiceError], int, str]] = [
    (NotFound, 404, "not_found"),
    (InsufficientCredits, 402, "insufficient_credits"),
    (NotAllowed, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (AuthFailed, 401, "unauthorized"),
    (RateLimited, 429, "rate_limited"),
    (Busy, 503, "busy"),
    (InvalidInput, 400, "invalid_input"),
]

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "busy",
}


def doc(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# Documented on every /api/v1 operation, so the schema says what a client can receive.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: doc("No token, or a token that is not valid (revoked, mistyped)."),
    422: doc("A query, path or body value that does not validate."),
    429: doc("Too many requests: wait for Retry-After seconds."),
}
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: doc("Not found, or private to someone else.")}
BAD_INPUT: Responses = {400: doc("Refused input (the message says why, `field` names it).")}
BUSY: Responses = {
    503: doc(
        "Too many jobs waiting, yours or everyone's: nothing was charged; retry after "
        "Retry-After seconds."
    )
}


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorOut(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def service_error_response(exc: ServiceError) -> JSONResponse:
    for kind, status, code in _SERVICE:
        if isinstance(exc, kind):
            headers = None
            if isinstance(exc, RateLimited | Busy):
                headers = {"Retry-After": str(exc.retry_after)}
            return error_response(status, code, exc.message, exc.field, headers)
    return error_response(400, "refused", exc.message, exc.field)


def _ours(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not _ours(request):
        return await http_exception_handler(request, exc)
    status = exc.status_code
    code = exc.code if isinstance(exc, ApiError) else _CODES.get(status, "error")
    if isinstance(exc.detail, str) and exc.detail:
        message = exc.detail
    else:
        message = HTTPStatus(status).phrase
    if status == 404 and message == "Not Found":
        message = "There is nothing at this address."
    field = exc.field if isinstance(exc, ApiError) else None
    headers = dict(exc.headers) if exc.headers else None
    return error_response(status, code, message, field, headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str | None:
    # ("query", "limit") -> "limit"; ("body", "prompt") -> "prompt"; ("body",) -> None
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("query", "path", "body") else []
    return ".".join(parts) or None


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not _ours(request):
        # FastAPI's shape, without echoing what was sent: it may hold a password, or a NaN or
        # an infinity that JSON cannot carry (the default handler then fails with a 500).
        detail = [{k: v for k, v in e.items() if k not in ("input", "ctx")} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(detail)})
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = _location(first.get("loc", ()))
    message = str(first.get("msg", "Invalid input.")).removeprefix("Value error, ")
    if first.get("type") == "missing":
        message = "This field is required."
    if field:
        message = f"{field}: {message}"
    return error_response(422, "invalid_input", message, field)


async def _on_service(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    if not _ours(request):
        raise exc  # not ours: unchanged behaviour (an uncaught error stays a server error)
    return service_error_response(exc)


async def _on_crash(request: Request, exc: Exception) -> Response:
    # Starlette's last resort (ServerErrorMiddleware): still logged and re-raised after this.
    if not _ours(request):
        return PlainTextResponse("Internal Server Error", status_code=500)
    return error_response(500, "internal_error", "Something went wrong on our side.")


class RefuseNul:
    """ASGI middleware: a NUL character in an /api/v1 path or query is a 422, before any
    route runs. PostgreSQL refuses NUL in text, so it would otherwise reach a query (a search
    term, a username) and fail there as a server error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "")
            query: bytes = scope.get("query_string", b"")
            ours = path == PREFIX or path.startswith(PREFIX + "/")
            if ours and ("\x00" in path or b"%00" in query or b"\x00" in query):
                response = error_response(
                    422, "invalid_input", "The address contains a character that is not allowed."
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def install(api: FastAPI) -> None:
    api.add_middleware(RefuseNul)
    api.add_exception_handler(Exception, _on_crash)
    api.add_exception_handler(StarletteHTTPException, _on_http)
    api.add_exception_handler(RequestValidationError, _on_validation)
    api.add_exception_handler(ServiceError, _on_service)
