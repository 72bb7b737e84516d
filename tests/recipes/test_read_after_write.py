"""Reads come from stored documents; every write that changes what a reader sees must show up
in the very next read, never a stale copy."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from tests.support.world import World, bearer

BASE = "/api/v1/recipes"


async def _term_id(client: httpx.AsyncClient, headers: dict[str, str], kind: str, name: str) -> int:
    terms = (await client.get(f"/api/v1/vocabularies/{kind}", headers=headers)).json()
    return int(next(t["id"] for t in terms if t["name"] == name))


async def test_every_kind_of_write_is_visible_in_the_next_read(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    owner = bearer(world.owner, settings, session)
    created = await client.post(
        BASE,
        json={
            "title": "Soup",
            "visibility": "public",
            "tags": ["quick"],
            "ingredients": [{"text": "3 tomatoes"}, {"text": "1 onion"}],
        },
        headers=owner,
    )
    url = created.headers["location"]
    etags = {created.headers["etag"]}

    async def read(*, changed: bool = True) -> dict[str, Any]:
        response = await client.get(url)
        if changed:  # a new representation has a new ETag, or caches would serve the old one
            assert response.headers["etag"] not in etags
        etags.add(response.headers["etag"])
        return dict(response.json())

    assert (await read(changed=False))["title"] == "Soup"

    async def cook_with(*foods: str) -> list[tuple[str, int, int]]:
        response = await client.post(f"{BASE}/cook-with", json={"foods": foods}, headers=owner)
        return [(i["title"], i["have"], i["need"]) for i in response.json()["items"]]

    assert await cook_with("tomato") == [("Soup", 1, 2)]

    await client.patch(url, json={"title": "Tomato soup"}, headers=owner)
    assert (await read())["title"] == "Tomato soup"

    await client.put(
        url,
        json={
            "title": "Tomato soup",
            "visibility": "public",
            "tags": ["quick"],
            "ingredients": [{"text": "4 tomatoes"}],
        },
        headers=owner,
    )
    assert [i["quantity"] for i in (await read())["ingredients"]] == [4]
    assert await cook_with("tomato", "onion") == [("Tomato soup", 1, 1)]

    tag = await _term_id(client, owner, "tags", "quick")
    await client.patch(f"/api/v1/vocabularies/tags/{tag}", json={"name": "Speedy"}, headers=owner)
    assert (await read())["tags"] == ["Speedy"]

    await client.post(
        BASE, json={"title": "Other", "ingredients": [{"text": "1 plum tomato"}]}, headers=owner
    )
    tomato = await _term_id(client, owner, "foods", "tomato")
    plum = await _term_id(client, owner, "foods", "plum tomato")
    await client.post(
        f"/api/v1/vocabularies/foods/{tomato}/merge", json={"into": plum}, headers=owner
    )
    assert (await read())["ingredients"][0]["food"] == "plum tomato"
    assert await cook_with("plum tomato") == [("Tomato soup", 1, 1), ("Other", 1, 1)]

    await client.patch("/api/v1/users/me", json={"display_name": "Olive O."}, headers=owner)
    assert (await read())["owner"]["display_name"] == "Olive O."

    await client.delete(url, headers=owner)
    assert (await client.get(url)).status_code == 404
    assert await cook_with("plum tomato") == [("Other", 1, 1)]
    await client.post(f"{url}/restore", headers=owner)
    assert (await read(changed=False))["title"] == "Tomato soup"
    assert await cook_with("plum tomato") == [("Tomato soup", 1, 1), ("Other", 1, 1)]

    listed = (await client.get(BASE, params={"q": "tomato"})).json()["items"]
    assert listed[0]["title"] == "Tomato soup"
    assert listed[0]["owner"]["display_name"] == "Olive O."
