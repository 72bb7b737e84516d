"""Routes for the hottest reads (FastAPI documents them, the endpoint does the rest), and routes
that only read though their method is unsafe."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from recipevault.db import SAFE_METHODS

Endpoint = Callable[[Request], Awaitable[Response]]
AnyEndpoint = TypeVar("AnyEndpoint", bound=Callable[..., Any])
_READS_ONLY: set[Callable[..., Any]] = set()


class DirectRoute(APIRoute):
    """A route whose endpoint takes only the ``Request`` and returns a ``Response``.

    FastAPI still puts it in the OpenAPI document, with its response model and the parameters
    given in ``openapi_extra``, but the endpoint is called directly. An ordinary route solves
    dependencies, reads the body, validates parameters and prepares serialization on every
    request, even when it has none: a fifth of what reading one recipe costs. Exceptions the
    endpoint raises reach the app's exception handlers as from any other route.

    The OpenAPI document says signing in is optional for it, unless ``signed_in``: see
    ``SignedInRoute``.
    """

    signed_in: ClassVar[bool] = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # One parameter, the request: nothing in the signature to solve or validate. A router's
        # dependencies still land in the dependant, and would be skipped.
        parameters = inspect.signature(self.endpoint).parameters
        if (
            len(parameters) != 1
            or self.dependant.request_param_name is None
            or self.dependant.dependencies
            or not inspect.iscoroutinefunction(self.endpoint)
        ):
            raise TypeError(
                f"{self.path}: a direct route's endpoint is `async def (request: Request) -> "
                "Response`, with no parameters or dependencies of its own or its router's"
            )
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


class SignedInRoute(DirectRoute):
    """A direct route for those signed in only: its endpoint refuses anyone else (401), and
    the OpenAPI document says signing in is required."""

    signed_in = True


def direct_get(
    router: APIRouter, path: str, *, signed_in: bool = False, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """``@router.get(path, **options)``, served by a ``DirectRoute`` (a ``SignedInRoute`` when
    ``signed_in``)."""
    route_class = SignedInRoute if signed_in else DirectRoute

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path, endpoint, methods=["GET"], route_class_override=route_class, **options
        )
        return endpoint

    return register


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against a list of entity tags (or ``*``)."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def reads_only(endpoint: AnyEndpoint) -> AnyEndpoint:
    """Declare that a route changes nothing whatever its method (a POST whose body is a query,
    like cook-with): a token with the `read` scope may call it. Put it under the route's
    decorator."""
    _READS_ONLY.add(endpoint)
    return endpoint


def only_reads(request: Request) -> bool:
    """Whether ``request`` changes nothing: a safe method, or a route declared ``reads_only``."""
    return request.method in SAFE_METHODS or request.scope.get("endpoint") in _READS_ONLY
