"""The OpenAPI document, telling the truth about errors.

Every error the API answers is an ``application/problem+json`` document (``errors.py``). FastAPI
documents only the responses a route declares, as ``application/json``, plus a 422 of its own
shape. Here each operation's error responses are worked out from what the route depends on,
added to what it declares, and described as problem documents:

- 401 where the request's credentials are read (a bad or expired token is refused even where
  signing in is optional), 403 where they may not be enough (admins only; an unsafe request
  with a read-only token or without the session's CSRF token);
- 404 where the path names something; 413 and 422 where a body or parameters are parsed;
- 429 where a rate limiter is consulted; 503 where the database is (it may be busy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

from recipevault.config import Settings
from recipevault.db import SAFE_METHODS
from recipevault.errors import PROBLEM_CONTENT_TYPE
from recipevault.http.routing import DirectRoute

PROBLEM_SCHEMA = "Problem"
VALIDATION_PROBLEM_SCHEMA = "ValidationProblem"
_REF = "#/components/schemas/"


class Problem(BaseModel):
    """An error, as RFC 9457 describes it. Some problems carry more members (``errors``,
    ``request_id``, ``retry_after``...)."""

    model_config = ConfigDict(extra="allow", title=PROBLEM_SCHEMA)

    type: str = Field(examples=["urn:recipevault:problem:not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(examples=["No such recipe, or not one you may see"])
    instance: str = Field(examples=["/api/v1/recipes/12"])


class FieldProblem(BaseModel):
    location: list[str] = Field(description="Where: body, query, path or header, then the field")
    field: str
    message: str
    type: str


class ValidationProblem(Problem):
    """A request that could not be used as sent, with what was wrong in each field."""

    model_config = ConfigDict(title=VALIDATION_PROBLEM_SCHEMA)

    errors: list[FieldProblem] = Field(default_factory=list)


DEFAULT_DESCRIPTIONS = {
    400: "The request cannot be used as sent: a Host this site does not serve, an address that "
    "holds NUL, or a body that is not what its content type says",
    401: "Not signed in, or the credentials sent are not valid (any more)",
    403: "Not allowed: admins only, a read-only token on a write, or no CSRF token with the "
    "session cookie",
    404: "No such thing, or not one you may see",
    409: "Conflicts with the current state",
    412: "The `If-Match` ETag is stale: read the current version first",
    413: "The request body is larger than allowed",
    422: "Invalid input, with what was wrong in each field",
    429: "Too many requests: wait as long as `Retry-After` says",
    503: "The database is busy: try again after `Retry-After` seconds",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {"description": "How to authenticate", "schema": {"type": "string"}}
}
_HEADERS: dict[int, dict[str, Any]] = {401: _WWW_AUTHENTICATE, 429: _RETRY_AFTER, 503: _RETRY_AFTER}


@dataclass(frozen=True, slots=True)
class DependencyErrors:
    """What a route's dependencies say about the errors it may answer: the dependency
    functions that read credentials (401, and 403 for writes), require sign in, admit admins
    only (403), use the database (503: it may be busy) or consult a rate limiter (429). The
    app's own are ``deps.ROUTE_ERRORS``."""

    reads_credentials: frozenset[Callable[..., Any]]
    requires_sign_in: frozenset[Callable[..., Any]]
    admin_only: frozenset[Callable[..., Any]]
    uses_database: frozenset[Callable[..., Any]]
    rate_limited: frozenset[Callable[..., Any]]


def _calls(dependant: Dependant) -> Iterable[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def error_statuses(route: APIRoute, method: str, known: DependencyErrors) -> set[int]:
    """The error statuses ``route`` may answer ``method`` with, from what it depends on."""
    # 400: a Host not served here, an address holding NUL, a body that is not what it says.
    found = {400}
    if isinstance(route, DirectRoute):
        # Direct routes take what they need from the request: the viewer (optional, so only
        # bad credentials are refused), the database, and the query string they document.
        found |= {401, 422, 503}
        has_body = False
    else:
        calls = set(_calls(route.dependant))
        if calls & known.reads_credentials:
            found.add(401)
            if method not in SAFE_METHODS:
                found.add(403)
        if calls & known.admin_only:
            found.add(403)
        if calls & known.uses_database:
            found.add(503)
        if calls & known.rate_limited:
            found.add(429)
        dependant = route.dependant
        if dependant.query_params or dependant.header_params or dependant.cookie_params:
            found.add(422)
        # A body the route reads itself (an upload) is documented in ``openapi_extra``.
        has_body = route.body_field is not None or "requestBody" in (route.openapi_extra or {})
    if route.param_convertors:
        found |= {404, 422}
    if has_body:
        found |= {413, 422}
    return found


def _problem_response(status: int, declared: dict[str, Any] | None) -> dict[str, Any]:
    declared = declared or {}
    schema = VALIDATION_PROBLEM_SCHEMA if status == 422 else PROBLEM_SCHEMA
    response: dict[str, Any] = {
        "description": declared.get("description")
        if declared.get("description") not in (None, "", _phrase(status))
        else DEFAULT_DESCRIPTIONS.get(status, _phrase(status)),
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _REF + schema}}},
    }
    headers = {**_HEADERS.get(status, {}), **declared.get("headers", {})}
    if headers:
        response["headers"] = headers
    return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _is_error(status: str) -> bool:
    return status.isdigit() and int(status) >= 400


BEARER = "bearer"
SESSION_COOKIE = "session"


def _security(route: APIRoute, known: DependencyErrors) -> list[dict[str, list[str]]] | None:
    """How to sign in for ``route``: required, optional (the empty requirement), or not at all."""
    if isinstance(route, DirectRoute):
        required, optional = route.signed_in, not route.signed_in
    else:
        calls = set(_calls(route.dependant))
        required = bool(calls & known.requires_sign_in)
        optional = bool(calls & known.reads_credentials)
    if not (required or optional):
        return None
    ways: list[dict[str, list[str]]] = [{BEARER: []}, {SESSION_COOKIE: []}]
    return ways if required else [*ways, {}]


def document_problems(
    document: dict[str, Any],
    routes: Iterable[BaseRoute],
    *,
    session_cookie: str,
    known: DependencyErrors,
) -> None:
    """Give every operation of ``document`` the problem responses its route can answer, and
    say how to sign in for it."""
    operations: dict[tuple[str, str], APIRoute] = {}
    for candidate in routes:
        if isinstance(candidate, APIRoute) and candidate.include_in_schema:
            for method in candidate.methods or ():
                operations[(candidate.path_format, method.lower())] = candidate
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            route = operations.get((path, method))
            if route is None:
                continue
            security = _security(route, known)
            if security is not None:
                operation["security"] = security
            responses: dict[str, Any] = operation.setdefault("responses", {})
            statuses = error_statuses(route, method.upper(), known)
            statuses |= {int(status) for status in responses if _is_error(status)}
            for status in statuses:
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
            operation["responses"] = dict(sorted(responses.items()))
    components = document.setdefault("components", {})
    components["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer"},
        SESSION_COOKIE: {"type": "apiKey", "in": "cookie", "name": session_cookie},
    }
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    for model in (Problem, FieldProblem, ValidationProblem):
        definition = model.model_json_schema(ref_template=_REF + "{model}")
        schemas.update(definition.pop("$defs", {}))
        schemas[definition.get("title", model.__name__)] = definition


def install_openapi(app: FastAPI, known: DependencyErrors) -> None:
    """Build the app's document with ``document_problems`` applied, once, on first request."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            settings: Settings = app.state.settings
            document_problems(
                document, app.routes, session_cookie=settings.session_cookie_name, known=known
            )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
