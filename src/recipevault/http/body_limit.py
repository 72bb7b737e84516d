"""Request bodies of a bounded size, checked while they arrive.

Every request body may hold at most ``RECIPEVAULT_REQUEST_MAX_BYTES`` (JSON, forms, anything),
unless its route declares a limit of its own with ``@body_limit(...)`` where the route is
declared (file uploads and pasted HTML). A body over the limit gets 413 before it is read
whole, whoever sends it: a declared ``Content-Length`` is compared with the limit before the
first byte is read, and a body sent in chunks is counted as it arrives and refused at the chunk
that passes the limit. Request bodies are never decompressed: a ``Content-Encoding`` is not
undone, so what is counted is what is held.

The check is made when the route first reads the body, not when the request comes in: only
then is the route known, and a route that never reads its body holds none of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from recipevault.config import Settings

BodyLimit = Callable[["Settings"], int]
"""A route's own limit, in bytes, read from the settings of the app serving it."""

_LIMIT_ATTRIBUTE = "__recipevault_body_limit__"
E = TypeVar("E", bound=Callable[..., object])


def body_limit(limit: BodyLimit) -> Callable[[E], E]:
    """Give a route's endpoint its own body limit instead of ``request_max_bytes``; put it
    under the route's decorator."""

    def declare(endpoint: E) -> E:
        setattr(endpoint, _LIMIT_ATTRIBUTE, limit)
        return endpoint

    return declare


def declared_limit(endpoint: object) -> BodyLimit | None:
    limit: BodyLimit | None = getattr(endpoint, _LIMIT_ATTRIBUTE, None)
    return limit


class RequestTooLarge(HTTPException):
    """413 for a body over its route's limit. An HTTPException rather than an ``AppError``:
    FastAPI passes HTTPExceptions raised while it reads a body on to the error handlers,
    and turns anything else into a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413, detail=f"The request body may be at most {limit:,} bytes here."
        )


# No route reads a body sent with these; only a response's disconnect listener receives it, and
# throws it away as it comes.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimitMiddleware:
    """Counts what the app receives of each request body against the route's limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        limit = -1
        received = 0

        async def limited_receive() -> Message:
            nonlocal limit, received
            if limit < 0:
                # The first read: routing has put the endpoint in the scope by now.
                limit = _route_limit(scope)
                declared = _content_length(scope)
                if declared is not None and declared > limit:
                    raise RequestTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _route_limit(scope: Scope) -> int:
    settings: Settings = scope["app"].state.settings
    declared = declared_limit(scope.get("endpoint"))
    return settings.request_max_bytes if declared is None else declared(settings)
