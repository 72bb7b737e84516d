"""Application errors and the one place that turns them into HTTP responses.

API errors are ``application/problem+json`` documents (RFC 9457). Browsers asking for pages
get friendly HTML pages instead (401 becomes a redirect to the sign-in page); ``web/rendering.py``
renders them. Services raise ``AppError`` subclasses; nothing else builds an error response.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, Protocol
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def field_errors(
    field: str, message: str, *, where: str = "body", kind: str = "value_error"
) -> dict[str, Any]:
    """The ``extra`` of a ``ValidationFailed`` about one field, shaped like FastAPI's own."""
    return {
        "errors": [{"location": [where, field], "field": field, "message": message, "type": kind}]
    }


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


class Gone(AppError):
    status_code = 410
    code = "gone"
    title = "Gone"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition-failed"
    title = "Precondition failed"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation-error"
    title = "Validation failed"


class Unprocessable(ValidationFailed):
    """Input that fits the documented schema, refused by a rule about what it refers to or
    when: an order that leaves out an image, an expiry already past, a household one is not
    in. Still a validation failure (forms show it beside the field), with a problem type of
    its own: ``validation-error`` is for input that does not fit the schema."""

    code = "unprocessable"
    title = "Not accepted"


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


class ErrorPage(Protocol):
    """Renders the HTML page for an error (``deps.error_page``)."""

    async def __call__(
        self,
        request: Request,
        *,
        status: int,
        title: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
    ) -> Response: ...


# First path segments that only programs call: their errors are problem+json, always.
_MACHINE_SEGMENTS = frozenset({"api", "health", "metrics", "openapi.json", "docs", "redoc"})
SIGN_IN_PATH = "/login"


def _is_machine_path(path: str) -> bool:
    return path.split("/", 2)[1] in _MACHINE_SEGMENTS


def wants_html(request: Request) -> bool:
    """Whether an error should be answered with an HTML page: requests to page routes
    (their dependencies mark them), htmx requests, and browsers asking for HTML anywhere
    outside the API and the probes."""
    if _is_machine_path(request.url.path):
        return False
    if getattr(request.state, "page", False) or request.headers.get("hx-request") == "true":
        return True
    return "text/html" in request.headers.get("accept", "")


def _error_page(request: Request) -> ErrorPage | None:
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    return page if page is not None and wants_html(request) else None


def sign_in_redirect(request: Request) -> RedirectResponse:
    """Send a browser to the sign-in page, coming back here afterwards when "here" is a page
    (after a form post, the address of the form's target is no page to return to)."""
    target = SIGN_IN_PATH
    if request.method in ("GET", "HEAD") and request.url.path != SIGN_IN_PATH:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += "?" + urlencode({"next": here})
    return RedirectResponse(target, status_code=303)


async def _html_error(
    request: Request,
    page: ErrorPage,
    *,
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if status == 401:
        return sign_in_redirect(request)
    return await page(request, status=status, title=title, detail=detail, headers=headers)


async def handle_app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if page := _error_page(request):
        return await _html_error(
            request,
            page,
            status=exc.status_code,
            title=exc.title,
            detail=exc.detail,
            headers=exc.headers,
        )
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        **exc.extra,
    )


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    page = _error_page(request)
    detail = exc.detail if isinstance(exc.detail, str) else _status_title(exc.status_code)
    if exc.status_code == 404 and detail == "Not Found":
        where = request.url.path
        detail = f"There is no page at {where}." if page else f"No resource at {where}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
        if detail == "Method Not Allowed":
            detail = f"{request.method} is not allowed on {request.url.path}"
    if page:
        return await _html_error(
            request,
            page,
            status=exc.status_code,
            title=_status_title(exc.status_code),
            detail=detail,
            headers=headers,
        )
    return problem_response(
        request,
        status=exc.status_code,
        code=_status_code_slug(exc.status_code),
        title=_status_title(exc.status_code),
        detail=detail,
        headers=headers,
    )


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: the methods of every route at this address. Starlette
    names only those of the first route whose path matched, and several routes share most
    addresses (GET, PUT, PATCH and DELETE of a recipe are four)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route_methods
    return ", ".join(sorted(methods))


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


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(exc)
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]})) or "request"
    if page := _error_page(request):
        return await page(
            request,
            status=422,
            title="Invalid request",
            detail=f"Something in the address or form was not valid: {fields}.",
        )
    return problem_response(
        request,
        status=422,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        detail=f"Invalid input in: {fields}",
        errors=errors,
    )


async def send_problem(
    send: Send, body: dict[str, Any], *, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    """Answer with a problem document straight through ASGI, for middleware that stands
    outside the exception handlers."""
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": body["status"],
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(content)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def unexpected_error_detail(request_id: str) -> str:
    return f"Something went wrong on our side. Quote request id {request_id} if you report it."


def unexpected_error_body(*, path: str, request_id: str) -> dict[str, Any]:
    """The body for an unhandled exception: no traceback, only what support needs."""
    return problem_body(
        status=500,
        code="internal-error",
        title="Internal server error",
        detail=unexpected_error_detail(request_id),
        instance=path,
        request_id=request_id,
    )


class ErrorPageMiddleware:
    """Unexpected exceptions on browser requests become the friendly 500 page. Other requests
    pass through untouched: the request context middleware answers them with problem+json."""

    def __init__(self, app: ASGIApp, *, error_page: ErrorPage) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # API and probe requests skip even the wrapper: their errors are never pages.
        if scope["type"] != "http" or _is_machine_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking_start)
        except Exception as exc:
            request = Request(scope)
            if started or not wants_html(request):
                raise
            log.exception("unhandled exception")
            request_id = str(getattr(request.state, "request_id", "") or "unknown")
            try:
                response = await self.error_page(
                    request,
                    status=500,
                    title="Something went wrong",
                    detail=unexpected_error_detail(request_id),
                )
            except Exception:
                log.exception("the error page failed as well")
                raise exc from None
            await response(scope, receive, send)


Translation = Callable[[Exception], AppError | None]


def _translated(translate: Translation) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        error = translate(exc)
        if error is None:
            raise exc  # unexpected after all: the 500 page or problem, as for any other
        log.warning("answered with an error", status=error.status_code, reason=str(exc))
        return await handle_app_error(request, error)

    return handle


def install_error_handlers(
    app: FastAPI,
    *,
    error_page: ErrorPage | None = None,
    translations: Mapping[type[Exception], Translation] | None = None,
) -> None:
    """Register the handlers; with ``error_page``, browsers get HTML pages (add
    ``ErrorPageMiddleware`` as well for unexpected exceptions). ``translations`` turn
    exceptions from below (a database driver's) into the ``AppError`` a client gets, when they
    mean one; the others stay unexpected errors."""
    app.state.error_page = error_page
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    for exc_type, translate in (translations or {}).items():
        app.add_exception_handler(exc_type, _translated(translate))
