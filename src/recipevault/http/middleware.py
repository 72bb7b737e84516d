"""ASGI middleware written against the raw protocol, so each costs microseconds per request.

- ``RequestContextMiddleware``: request id, one access log line, metrics, and the last-resort
  500 response for exceptions nothing else handled. Paths under ``secret_paths`` (addresses
  that are their own credential) are logged without what follows the prefix.
- ``SecurityHeadersMiddleware``: the headers every response carries.
- ``NulRefusalMiddleware``: 400 for an address holding the NUL character.
- ``ConcurrencyLimitMiddleware``: how many requests a process works on at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Sequence

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recipevault.errors import problem_body, send_problem, unexpected_error_body
from recipevault.http.metrics import UNMATCHED_ROUTE, HttpMetrics
from recipevault.logging import REDACTED, request_context

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode()
# A client-supplied id is echoed only when it is short and harmless in logs and headers.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

ACCESS_LOGGER = "recipevault.access"
access_log = structlog.get_logger(ACCESS_LOGGER)
# Asked before the access line is built: structlog drops a filtered event only after building
# it, several microseconds per request for a line nobody will see.
_access_logger = logging.getLogger(ACCESS_LOGGER)
error_log = structlog.get_logger("recipevault.errors")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _ACCEPTABLE_REQUEST_ID.match(candidate) else None
    return None


def loggable_path(path: str, secret_paths: tuple[str, ...]) -> str:
    """``path`` as the logs may show it: under one of ``secret_paths``, the prefix alone."""
    for prefix in secret_paths:
        if path.startswith(prefix):
            return prefix + REDACTED
    return path


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: HttpMetrics, secret_paths: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.secret_paths = tuple(secret_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        request_id_header = (_REQUEST_ID_NAME, request_id.encode("latin-1"))
        method: str = scope["method"]
        path: str = scope["path"]

        status = 500
        response_started = False
        start = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        logged_path = loggable_path(path, self.secret_paths)
        with request_context(request_id=request_id, method=method, path=logged_path):
            self.metrics.in_progress.inc()
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception:
                status = 500
                error_log.exception("unhandled exception")
                if not response_started:
                    await self._send_unexpected_error(send, path=path, request_id=request_id)
            finally:
                self.metrics.in_progress.dec()
                elapsed = time.perf_counter() - start
                route = _route_template(scope)
                self.metrics.observe(method=method, route=route, status=status, seconds=elapsed)
                if _access_logger.isEnabledFor(logging.INFO):
                    access_log.info(
                        "request",
                        status=status,
                        duration_ms=round(elapsed * 1000, 3),
                        route=route,
                        client=scope["client"][0] if scope.get("client") else None,
                    )

    @staticmethod
    async def _send_unexpected_error(send: Send, *, path: str, request_id: str) -> None:
        await send_problem(
            send,
            unexpected_error_body(path=path, request_id=request_id),
            headers=[(REQUEST_ID_HEADER.lower().encode(), request_id.encode())],
        )


# Pages: only our own scripts, styles and images; no framing; forms post back to us.
HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# API documents are never rendered as pages.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The interactive API docs load their bundle from a CDN and configure it inline.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src blob:; "
    "object-src 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

_COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
HSTS = "max-age=31536000; includeSubDomains"


def _raw(name: str, value: str) -> tuple[bytes, bytes]:
    return name.lower().encode("latin-1"), value.encode("latin-1")


# Encoded once: a response's headers are raw (name, value) byte pairs with lower-case names.
_RAW_COMMON = tuple(_raw(name, value) for name, value in _COMMON_HEADERS)
_RAW_HSTS = _raw("Strict-Transport-Security", HSTS)
_CSP_NAME = b"content-security-policy"
_RAW_CSP = {csp: (_CSP_NAME, csp.encode("latin-1")) for csp in (HTML_CSP, API_CSP, DOCS_CSP)}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._with_security_headers(scope, message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _with_security_headers(
        self, scope: Scope, raw: list[tuple[bytes, bytes]] | tuple[()]
    ) -> list[tuple[bytes, bytes]]:
        headers = list(raw)
        present = {name.lower() for name, _ in headers}
        headers.extend(pair for pair in _RAW_COMMON if pair[0] not in present)
        if _CSP_NAME not in present:
            headers.append(_RAW_CSP[self._csp(scope, headers)])
        if self.hsts and scope.get("scheme") == "https" and _RAW_HSTS[0] not in present:
            headers.append(_RAW_HSTS)
        return headers

    @staticmethod
    def _csp(scope: Scope, headers: list[tuple[bytes, bytes]]) -> str:
        if scope["path"] in DOCS_PATHS:
            return DOCS_CSP
        content_type = next((value for name, value in headers if name == b"content-type"), b"")
        if content_type.startswith(b"text/html"):
            return HTML_CSP
        return API_CSP


class NulRefusalMiddleware:
    """A path or query string holding the NUL character (``%00``) names nothing here, and it
    could not reach the database as text: PostgreSQL refuses it (a 500), where SQLite would
    store it. Such a request is a 400 problem before any route runs. (Bodies are checked by
    their schemas: ``schemas.InputModel``.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (
            "\x00" not in scope["path"] and b"%00" not in scope["query_string"]
        ):
            await self.app(scope, receive, send)
            return
        problem = problem_body(
            status=400,
            code="bad-request",
            title="Bad request",
            detail="The address holds a NUL character (%00), which nothing here may hold.",
            instance=scope["path"],
        )
        await send_problem(send, problem)


# Probes and scrapes are answered at once, however busy the process: a liveness probe stuck in
# the queue would have a healthy but busy process restarted.
_UNQUEUED_SEGMENTS = frozenset({"health", "metrics"})


class ConcurrencyLimitMiddleware:
    """At most ``limit`` requests are worked on at once; the others wait their turn, in order,
    until their response starts (sending a body does not hold a turn).

    One event loop works on every request it has accepted, a step of each in turn: with
    hundreds at once, every await in a request waits for a step of all the others. A write that
    holds SQLite's write lock, or a pooled connection, holds it for as many rounds, so writers
    queue for seconds and time out, and when more arrives than the process can serve, every
    request slows down instead of the latest ones waiting. With a bounded number at once,
    requests are served in the order they came and the rest wait without costing anything."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._turns: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].split("/", 2)[1] in _UNQUEUED_SEGMENTS:
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.limit)
        turns = self._turns
        await turns.acquire()
        holding = True

        def give_back() -> None:
            nonlocal holding
            if holding:
                holding = False
                turns.release()

        async def send_giving_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_giving_back)
        finally:
            give_back()
