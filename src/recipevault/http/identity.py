"""Where a request keeps the answer to "who is asking" (``accounts.auth.who_is_asking``), so it
is worked out once per request and read again by what renders the response (the page header).

The answer lives in the request's ASGI scope, which is the request's own: ``request.state`` may
be shared with the app's lifespan state.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import HTTPConnection

_KEY = "recipevault.identity"


class Viewer(Protocol):
    """What the kits know of whoever asked: the browser session's CSRF token, or None when
    they asked with a bearer token."""

    @property
    def csrf_token(self) -> str | None: ...


def was_asked(request: HTTPConnection) -> bool:
    return _KEY in request.scope


def answer(request: HTTPConnection) -> Viewer | None:
    """The answer kept for this request: None for an anonymous request, or when no one asked."""
    found: Viewer | None = request.scope.get(_KEY)
    return found


def remember(request: HTTPConnection, identity: Viewer | None) -> None:
    request.scope[_KEY] = identity
