"""Application errors and the one place that turns them into HTTP responses.

API errors are ``application/problem+json`` documents (RFC 9457). Services raise
``AppError`` subclasses; nothing else in the code builds an error response.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are identifiers, not documents to fetch (RFC 9457 §3.1.1 allows a URN).
PROBLEM_TYPE_BASE = "urn:recipevault:problem:"

log = structlog.get_logger("recipevault.errors")


class AppError(Exception):
    """An error a client can act on; carries its HTTP status and a stable problem type."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # Commit the request's unit of work even though the request fails (see db.request_session).
    keep_changes: ClassVar[bool] = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not-found"
    title = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition-failed"
    title = "Precondition failed"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation-error"
    title = "Validation failed"


class TooManyRequests(AppError):
    status_code = 429
    code = "too-many-requests"
    title = "Too many requests"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service-unavailable"
    title = "Service unavailable"


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    **extra: Any,
) -> JSONResponse:
    if instance is None:
        instance = request.url.path if request is not None else ""
    body = problem_body(
        status=status, code=code, title=title, detail=detail, instance=instance, **extra
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_CONTENT_TYPE)


def _status_code_slug(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "-")
    except ValueError:
        return "error"


def _status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        **exc.extra,
    )


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _status_title(exc.status_code)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}"
    return problem_response(
        request,
        status=exc.status_code,
        code=_status_code_slug(exc.status_code),
        title=_status_title(exc.status_code),
        detail=detail,
        headers=dict(exc.headers or {}),
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        errors.append(
            {
                "location": loc,
                "field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc),
                "message": error.get("msg", "Invalid value"),
                "type": error.get("type", "value_error"),
            }
        )
    return errors


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]})) or "request"
    return problem_response(
        request,
        status=422,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        detail=f"Invalid input in: {fields}",
        errors=errors,
    )


def unexpected_error_body(*, path: str, request_id: str) -> dict[str, Any]:
    """The body for an unhandled exception: no traceback, only what support needs."""
    return problem_body(
        status=500,
        code="internal-error",
        title="Internal server error",
        detail=f"Something went wrong on our side. Quote request id {request_id} if you report it.",
        instance=path,
        request_id=request_id,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
