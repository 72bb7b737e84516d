"""No input reaches the database driver out of range: every route, API and page, answers numbers
too large for an id (or negative ones, or crafted cursors) in its path and query with a client
error, never a server error; nor does text the database cannot hold (the NUL character), or a
time without its offset.

The routes are read from the app itself, so a route added later is covered without a row here.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import sessions as browser_sessions
from recipevault.config import Settings
from recipevault.errors import PROBLEM_CONTENT_TYPE
from recipevault.http.routing import DirectRoute
from recipevault.http.schemas import MAX_ID
from recipevault.jobs import service as jobs
from recipevault.media.images import CONTENT_HASH_LENGTH
from recipevault.recipes import service as recipes
from recipevault.recipes.models import Tag
from recipevault.recipes.schemas import RecipeCreate, RecipeUpdate
from recipevault.recipes.vocabulary.resolving import resolve_terms
from tests.support.jobs import RecordingQueue
from tests.support.world import actor_for, make_world

# Beyond every integer column (PostgreSQL's int4 ids and SQLite's 64-bit integers), and below 1.
OUT_OF_RANGE = (str(MAX_ID + 1), str(2**63), str(2**64), "-1")


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


CRAFTED_CURSORS = (
    _cursor({"id": 2**64}),
    _cursor({"id": -(2**63) - 1}),
    _cursor({"s": "created", "v": "2020-01-01T00:00:00+00:00", "id": 2**64}),
    _cursor({"s": "created", "v": "2020-01-01T00:00:00", "id": 1}),
    _cursor({"s": "updated", "v": "9999-12-31T23:59:59-23:59", "id": 1}),
    _cursor({"s": "total_time", "v": 2**64, "id": 1}),
    _cursor({"s": "rating", "v": -(2**70), "id": 1}),
    _cursor({"s": "relevance", "v": "NaN", "id": 1}),
    _cursor({"s": "title", "v": "x", "id": True}),
    _cursor([1, 2]),
    "not a cursor",
)


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    query: tuple[str, ...]


def targets(app: FastAPI) -> list[Target]:
    """Every route and method, with the query parameters it takes: those its OpenAPI operation
    names, or a page's declared ones. Direct routes that are not documented (the busiest
    pages) parse their query strings themselves, so they get every name any operation takes."""
    operations = app.openapi()["paths"]
    documented = {
        (method.upper(), path): {p["name"] for p in op.get("parameters", ()) if p["in"] == "query"}
        for path, item in operations.items()
        for method, op in item.items()
    }
    every_name = set().union(*documented.values())
    found = []
    for context in iter_route_contexts(app.routes):
        path = str(context.path)
        route = context.route
        for method in sorted((context.methods or set()) - {"HEAD"}):
            names = documented.get((method, _documented(path)))
            if names is None and isinstance(route, DirectRoute):
                names = every_name
            elif names is None and isinstance(route, APIRoute):
                names = {param.alias for param in route.dependant.query_params}
            found.append(Target(method, path, tuple(sorted(names or ()))))
    return found


def _url(path: str, value: str, known: dict[str, str] | None = None) -> str:
    """``path`` with its parameters from ``known``, and every other one ``value`` (a recipe's
    slug or a backup's name is a string, and a number there must be a plain 404 as well)."""
    return _documented(path).format_map(_Every(value, known or {}))


def _documented(path: str) -> str:
    """A route's path as documented: `{key}` for the route's `{key:path}`."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


class _Every(dict[str, str]):
    def __init__(self, value: str, known: dict[str, str]) -> None:
        super().__init__(known)
        self.value = value

    def __missing__(self, key: str) -> str:
        return self.value


@dataclass
class Admin:
    """A site admin signed in with a browser session (unsafe requests carry the CSRF token),
    and the ids of things that exist. An admin passes every authorization check, so a request
    reaches every lookup."""

    headers: dict[str, str]
    ids: dict[str, str]


@pytest.fixture
async def admin(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> Admin:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    recipe = await recipes.create_recipe(
        session,
        actor=owner,
        data=RecipeCreate(title="Soup", household_id=world.household.id, tags=["soup", "stew"]),
    )
    await recipes.update_recipe(
        session,
        actor=owner,
        recipe_id=recipe.id,
        data=RecipeUpdate(title="Leek soup"),
        partial=True,
        if_match=None,
    )
    tag, other_tag = await resolve_terms(session, Tag, world.household.id, ["soup", "stew"])
    job = await jobs.create_job(
        session, queue=RecordingQueue(), kind="import_urls", owner_id=world.admin.id, payload={}
    )
    opened = await browser_sessions.open_session(
        session, user=world.admin, settings=settings, ip=None, user_agent=None
    )
    await session.flush()
    client.cookies.set(settings.session_cookie_name, opened.cookie_value)
    ids = {
        "recipe_id": recipe.id,
        "slug": recipe.slug,
        "number": 1,
        "household_id": world.household.id,
        "user_id": world.member.id,
        "job_id": job.id,
        "term_id": tag.id,
        "other_term_id": other_tag.id,
        "kind": "tags",
    }
    return Admin({"X-CSRF-Token": opened.record.csrf_token}, {k: str(v) for k, v in ids.items()})


def _refused(response: httpx.Response) -> str | None:
    """Why ``response`` is not an acceptable answer to bad input, or None if it is."""
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:200]}"
    if response.status_code >= 400 and not response.headers.get("content-type", "").startswith(
        (PROBLEM_CONTENT_TYPE, "text/html")
    ):
        return f"{response.status_code} without problem+json: {response.text[:200]}"
    return None


async def _send(client: httpx.AsyncClient, method: str, url: str, **options: Any) -> str | None:
    try:
        response = await client.request(method, url, **options)
    except Exception as exc:  # an exception the app let escape is a failure like a 500
        return f"raised {exc!r}"
    return _refused(response)


async def test_ids_out_of_range_in_paths_are_client_errors(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    failures = []
    for target in targets(app):
        if "{" not in target.path:
            continue
        for value in OUT_OF_RANGE:
            url = _url(target.path, value, {"kind": "tags"})
            if problem := await _send(client, target.method, url, headers=admin.headers):
                failures.append(f"{target.method} {url} -> {problem}")
    assert not failures, "\n".join(failures)


async def test_ids_and_pages_out_of_range_in_query_strings_are_client_errors(
    app: FastAPI, client: httpx.AsyncClient, admin: Admin
) -> None:
    failures = []
    for target in targets(app):
        if target.method != "GET":
            continue
        url = _url(target.path, "1", admin.ids)
        for name in target.query:
            for value in CRAFTED_CURSORS if name == "cursor" else OUT_OF_RANGE:
                params = {name: value}
                if problem := await _send(client, "GET", url, headers=admin.headers, params=params):
                    failures.append(f"GET {url}?{name}={value} -> {problem}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("value", OUT_OF_RANGE[:-1])
async def test_media_addresses_naming_ids_out_of_range_are_404(
    client: httpx.AsyncClient, admin: Admin, value: str
) -> None:
    # Shaped like a rendition's address, whose ids name a recipe and an image.
    url = f"/media/recipes/{value}/{value}/320-{'0' * CONTENT_HASH_LENGTH}.webp"
    response = await client.get(url, headers=admin.headers)
    assert response.status_code == 404, response.text


RECIPE = "/api/v1/recipes/{recipe_id}"
# Ids in bodies: (method, path, body with BIG where the id goes).
BODIES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/v1/recipes", {"title": "Soup", "household_id": "BIG"}),
    ("PUT", RECIPE, {"title": "Soup", "household_id": "BIG"}),
    ("PATCH", RECIPE, {"household_id": "BIG"}),
    ("PUT", RECIPE + "/images/order", {"image_ids": ["BIG"]}),
    ("POST", "/api/v1/households/{household_id}/transfer", {"user_id": "BIG"}),
    ("POST", "/api/v1/vocabularies/tags/{term_id}/merge", {"into": "BIG"}),
    ("POST", "/api/v1/imports/url", {"url": "https://example.org/soup", "household_id": "BIG"}),
    ("POST", "/api/v1/imports/bulk", {"urls": ["https://example.org/a"], "household_id": "BIG"}),
    (
        "POST",
        "/api/v1/imports/html",
        {"html": '{"@type": "Recipe", "name": "Soup"}', "household_id": "BIG"},
    ),
]


def _with(body: Any, value: int) -> Any:
    if body == "BIG":
        return value
    if isinstance(body, dict):
        return {key: _with(item, value) for key, item in body.items()}
    if isinstance(body, list):
        return [_with(item, value) for item in body]
    return body


@pytest.mark.parametrize("value", [MAX_ID + 1, 2**64, 0])
@pytest.mark.parametrize(("method", "path", "body"), BODIES, ids=lambda v: str(v)[:40])
async def test_ids_out_of_range_in_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient,
    admin: Admin,
    method: str,
    path: str,
    body: dict[str, Any],
    value: int,
) -> None:
    response = await client.request(
        method, _url(path, "1", admin.ids), json=_with(body, value), headers=admin.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    (field,) = [name for name, item in body.items() if "BIG" in str(item)]
    assert [error["location"][1] for error in response.json()["errors"]] == [field]


async def test_ids_out_of_range_in_forms_are_refused_with_the_form(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    upload = await client.post(
        "/api/v1/imports/file",
        files={"file": ("soup.json", b'{"@type": "Recipe", "name": "Soup"}')},
        data={"household_id": str(2**64)},
        headers=admin.headers,
    )
    assert upload.status_code == 422, upload.text
    assert upload.json()["errors"][0]["field"] == "household_id"
    transfer = await client.post(
        _url("/households/{household_id}/transfer", "1", admin.ids),
        data={"user_id": str(2**64)},
        headers=admin.headers,
    )
    assert transfer.status_code == 400, transfer.text


@pytest.mark.parametrize("sort", ["created", "updated", "title", "total_time", "rating"])
async def test_crafted_cursors_of_each_sort_are_refused(
    client: httpx.AsyncClient, sort: str
) -> None:
    for cursor in CRAFTED_CURSORS:
        response = await client.get("/api/v1/recipes", params={"sort": sort, "cursor": cursor})
        assert response.status_code == 422, (cursor, response.text)
        assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE


# Text holding NUL, which PostgreSQL cannot store: (method, path, body, the field named).
NUL_BODIES: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/v1/recipes", {"title": "Soup\x00"}, "title"),
    ("POST", "/api/v1/recipes", {"title": "Soup", "tags": ["\x00"]}, "tags"),
    ("POST", "/api/v1/recipes", {"title": "S", "ingredients": [{"text": "1 \x00"}]}, "ingredients"),
    ("PATCH", RECIPE, {"notes": "\x00"}, "notes"),
    ("POST", "/api/v1/recipes/cook-with", {"foods": ["egg\x00"]}, "foods"),
    ("POST", "/api/v1/households", {"name": "\x00"}, "name"),
    ("PATCH", "/api/v1/users/me", {"display_name": "Ada\x00"}, "display_name"),
    (
        "POST",
        "/api/v1/auth/register",
        {"email": "nul@example.org", "password": "correct horse battery", "display_name": "\x00"},
        "display_name",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), NUL_BODIES, ids=str)
async def test_text_holding_nul_in_bodies_is_422_naming_the_field(
    client: httpx.AsyncClient,
    admin: Admin,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    url = _url(path, "1", admin.ids)
    response = await client.request(method, url, json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert field in {error["location"][1] for error in response.json()["errors"]}


async def test_text_holding_nul_in_forms_comes_back_with_the_form(
    client: httpx.AsyncClient, admin: Admin
) -> None:
    response = await client.post(
        "/recipes/new", data={"title": "Soup\x00", "visibility": "private"}, headers=admin.headers
    )
    assert response.status_code == 400, response.text
    assert "NUL" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/recipes?tag=%00",
        "/api/v1/recipes?q=soup%00",
        "/api/v1/admin/users?q=%00",
        "/api/v1/admin/audit?action=%00",
        "/api/v1/admin/backups/backup%00.zip",
        "/recipes/soup%00",
        "/media/recipes/%00.webp",
    ],
)
async def test_addresses_holding_nul_are_400(
    client: httpx.AsyncClient, admin: Admin, url: str
) -> None:
    response = await client.get(url, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "expires_at", ["2030-01-01T00:00:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-23:59"]
)
async def test_a_token_expiry_without_an_offset_or_past_the_calendar_is_422(
    client: httpx.AsyncClient, admin: Admin, expires_at: str
) -> None:
    response = await client.post(
        "/api/v1/users/me/tokens",
        json={"name": "script", "expires_at": expires_at},
        headers=admin.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "expires_at"
