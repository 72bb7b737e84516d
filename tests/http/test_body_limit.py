"""Request bodies are refused with 413 once they pass their route's limit, before they are read
whole, whoever sends them."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.importing.schemas import MAX_PASTE, MAX_PASTE_BODY
from tests.recipes.images.test_service import RED, png
from tests.support.world import World, bearer

MiB = 1024 * 1024
CHUNK = 64 * 1024
RECIPES = "/api/v1/recipes"


class Body:
    """A request body sent in chunks, counting how many the server asked for."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), CHUNK):
            self.sent += 1
            yield self.data[start : start + CHUNK]

    @property
    def chunks(self) -> int:
        return -(-len(self.data) // CHUNK)


def recipe_json(size: int) -> bytes:
    """A recipe whose JSON is ``size`` bytes long."""
    shell = json.dumps({"title": "Soup", "description": ""}).encode()
    return shell.replace(b'""', b'"' + b"x" * (size - len(shell)) + b'"')


def assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413
    assert problem["detail"] == f"The request body may be at most {limit:,} bytes here."


async def test_the_default_limit_is_one_mebibyte() -> None:
    assert Settings().request_max_bytes == MiB


async def test_a_large_json_body_with_a_length_is_refused_before_any_of_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    body = Body(recipe_json(8 * MiB))
    response = await client.post(
        RECIPES,
        content=body,
        headers={"content-type": "application/json", "content-length": str(len(body.data))},
    )
    # Signed out: the limit comes first, so no stranger makes the server hold 8 MB.
    assert_too_large(response, MiB)
    assert body.sent == 0


async def test_a_large_chunked_json_body_is_read_only_up_to_the_limit(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    body = Body(recipe_json(8 * MiB))
    response = await client.post(
        RECIPES,
        content=body,
        headers={"content-type": "application/json", **bearer(world.owner, settings, session)},
    )
    assert_too_large(response, MiB)
    assert body.sent == MiB // CHUNK + 1 < body.chunks


async def test_a_body_at_the_limit_is_taken(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    settings: Settings = app.state.settings
    app.state.settings = settings.model_copy(update={"request_max_bytes": 4096})
    headers = {"content-type": "application/json", **bearer(world.owner, settings, session)}
    created = await client.post(RECIPES, content=recipe_json(4096), headers=headers)
    assert created.status_code == 201, created.text
    refused = await client.post(RECIPES, content=recipe_json(4097), headers=headers)
    assert_too_large(refused, 4096)


async def test_forms_are_limited_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    settings: Settings = app.state.settings
    app.state.settings = settings.model_copy(update={"request_max_bytes": 4096})
    form = {"email": "someone@example.org", "password": "x" * 5000}
    api = await client.post("/login", data=form)
    assert api.status_code == 413
    # A browser gets the error page, like any other error on a page.
    page = await client.post("/login", data=form, headers={"accept": "text/html"})
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")


async def test_routes_declare_larger_limits_of_their_own(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    settings: Settings = app.state.settings
    app.state.settings = settings.model_copy(
        update={"request_max_bytes": 4096, "image_max_bytes": 100_000}
    )
    headers = bearer(world.owner, settings, session)
    created = await client.post(RECIPES, json={"title": "Soup"}, headers=headers)
    assert created.status_code == 201, created.text
    image = png(RED) + b"\0" * 20_000  # a valid PNG with trailing bytes, larger than 4 kB
    uploaded = await client.post(
        f"{RECIPES}/{created.json()['id']}/images",
        files={"file": ("soup.png", image, "image/png")},
        headers=headers,
    )
    assert uploaded.status_code == 201, uploaded.text

    # A bulk import may hold as many addresses as it may list, at their longest.
    urls = [f"https://example.org/recipes/{n:04d}/a-long-enough-name" for n in range(200)]
    bulk = await client.post("/api/v1/imports/bulk", json={"urls": urls}, headers=headers)
    assert len(json.dumps({"urls": urls})) > 4096
    assert bulk.status_code == 202, bulk.text

    # Pasted HTML may be larger than any other JSON body, up to its own limit.
    assert MAX_PASTE_BODY > MAX_PASTE > MiB
    paste = {"html": "<p>" + "x" * 20_000 + "</p>"}
    pasted = await client.post("/api/v1/imports/html", json=paste, headers=headers)
    assert pasted.status_code == 422, pasted.text  # read, and found to hold no recipe
    beyond = Body(b'{"html": "' + b"x" * (MAX_PASTE_BODY + 1) + b'"}')
    refused = await client.post(
        "/api/v1/imports/html",
        content=beyond,
        headers={"content-type": "application/json", **headers},
    )
    assert_too_large(refused, MAX_PASTE_BODY)
    assert beyond.sent == MAX_PASTE_BODY // CHUNK + 1


async def test_bodies_of_reads_are_not_read(client: httpx.AsyncClient) -> None:
    body = Body(b"x" * 2 * MiB)
    response = await client.request("GET", "/health/live", content=body)
    assert response.status_code == 200
    assert body.sent == 0


async def test_compressed_bodies_are_never_inflated(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    # 100 MB of JSON whitespace in 100 kB: read as the bytes sent, it is no JSON at all.
    bomb = zlib.compress(b"{" + b" " * 100 * MiB + b'"title": "Soup"}', wbits=31)
    assert len(bomb) < 200_000
    response = await client.post(
        RECIPES,
        content=bomb,
        headers={
            "content-type": "application/json",
            "content-encoding": "gzip",
            **bearer(world.owner, settings, session),
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "There was an error parsing the body"
