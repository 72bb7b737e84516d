"""The recipe routes that answer with stored bytes (one recipe, a page of summaries, a search,
cook-with, the trash) skip FastAPI's response validation. Their bytes must still be exactly
what they document: each body is read with its response model and written out again, and the
two must be the same JSON, key for key, in every view a reader can ask for."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.http.pagination import Page
from recipevault.policy import Visibility
from recipevault.recipes.schemas import (
    CookWithMatch,
    IngredientIn,
    RecipePage,
    RecipeRead,
    RecipeSummary,
)
from tests.recipes.pages_support import make_recipe, pancakes
from tests.support.world import World, bearer, make_world

BASE = "/api/v1/recipes"
VIEWS = ("", "?servings=8", "?scale=0.5", "?units=metric", "?units=us", "?servings=3&units=metric")


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> World:
    world = await make_world(session, settings)
    await make_recipe(session, world.owner, pancakes())
    await make_recipe(
        session,
        world.owner,
        pancakes(
            title="Tomato soup",
            visibility=Visibility.HOUSEHOLD,
            household_id=world.household.id,
            servings=Decimal("2.5"),
            rating=None,
            nutrition=None,
            total_minutes=90,
            source_url=None,
            ingredients=[
                IngredientIn(text="2 (14 oz) cans tomatoes"),
                IngredientIn(text="1/2 cup butter, softened"),
                IngredientIn(text="salt to taste"),
                IngredientIn(text="1-2 tsp sugar (optional)"),
            ],
        ),
    )
    await make_recipe(session, world.owner, pancakes(title="Old soup"))
    return world


def assert_documented(body: bytes, model: Any) -> Any:
    """``body`` read as ``model`` and written out again is the same JSON (fields it may leave
    out, such as a page's ``total`` without a search, are compared only when present)."""
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    value = adapter.validate_json(body)
    documented = orjson.loads(adapter.dump_json(value, exclude_unset=True))
    assert _differences(documented, orjson.loads(body)) == []
    return value


def _same(documented: Any, sent: Any) -> bool:
    """The same JSON value: numbers by value (4 and 4.0), times by the instant they name
    ("…Z" and "…+00:00"), anything else exactly."""
    if isinstance(documented, bool) or isinstance(sent, bool):
        return documented is sent
    if isinstance(documented, int | float) and isinstance(sent, int | float):
        return documented == sent
    if isinstance(documented, str) and isinstance(sent, str) and documented != sent:
        try:
            return datetime.fromisoformat(documented) == datetime.fromisoformat(sent)
        except ValueError:
            return False
    return type(documented) is type(sent) and documented == sent


def _differences(documented: Any, sent: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as paths with the documented value and the one sent."""
    if isinstance(documented, dict) and isinstance(sent, dict):
        return [
            found
            for key in sorted(documented.keys() | sent.keys())
            for found in _differences(
                documented.get(key, "<missing>"), sent.get(key, "<missing>"), f"{path}.{key}"
            )
        ]
    if isinstance(documented, list) and isinstance(sent, list) and len(documented) == len(sent):
        return [
            found
            for index, (left, right) in enumerate(zip(documented, sent, strict=True))
            for found in _differences(left, right, f"{path}[{index}]")
        ]
    if _same(documented, sent):
        return []
    return [f"{path or '.'}: documented {documented!r}, sent {sent!r}"]


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bytes:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


async def test_stored_bytes_are_what_the_routes_document(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    owner = bearer(world.owner, settings, session)
    readers = {"visitor": {}, "owner": owner, "member": bearer(world.member, settings, session)}
    listed = assert_documented(await _get(client, BASE + "?sort=title", owner), RecipePage)
    ids = {item.title: item.id for item in listed.items}
    trashed = await client.delete(f"{BASE}/{ids['Old soup']}", headers=owner)
    assert trashed.status_code == 204
    for headers in readers.values():
        for query in ("", "?q=soup", "?q=pancakes&limit=1", "?sort=rating", "?tag=breakfast"):
            page = assert_documented(await _get(client, BASE + query, headers), RecipePage)
            if page.next is not None:
                more = query + ("&" if query else "?") + urlencode({"cursor": page.next})
                assert_documented(await _get(client, BASE + more, headers), RecipePage)
        for title in ("Buttermilk Pancakes", "Tomato soup"):
            for view in VIEWS:
                if headers or title == "Buttermilk Pancakes":
                    url = f"{BASE}/{ids[title]}{view}"
                    assert_documented(await _get(client, url, headers), RecipeRead)
        cooked = await client.post(
            f"{BASE}/cook-with", json={"foods": ["tomato", "butter", "flour"]}, headers=headers
        )
        assert cooked.status_code == 200, cooked.text
        assert_documented(cooked.content, Page[CookWithMatch])
    trash = assert_documented(await _get(client, f"{BASE}/trash", owner), list[RecipeSummary])
    assert [item.title for item in trash] == ["Old soup"]
