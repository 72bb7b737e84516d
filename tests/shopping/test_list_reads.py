"""Reading a whole list, the read every visit makes: answered exactly as its schema serializes
it, with no response model per item, by every route that answers a whole list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import UnitSystem
from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from recipevault.shopping.schemas import ItemRead, ShoppingListAdded, ShoppingListDetail
from tests.shopping.conftest import LISTS, HeadersFor
from tests.support.world import World, actor_for


async def _fill(
    client: httpx.AsyncClient, session: AsyncSession, world: World, list_id: int, as_: HeadersFor
) -> dict[str, Any]:
    """A list with what a list holds: typed amounts that merge and that do not, a note with
    quotes and accents, aisles, a food of the vocabulary, a recipe's share at other servings,
    items checked off; the answer to putting the recipe on it."""
    headers = as_("member")
    actor = await actor_for(session, world.owner)
    recipe = await recipes.create_recipe(
        session,
        actor=actor,
        data=RecipeCreate(
            title="Soup",
            visibility=Visibility.HOUSEHOLD,
            household_id=world.household.id,
            servings=Decimal(4),
            ingredients=[
                IngredientIn(text="1 cup milk"),
                IngredientIn(text="2 onions"),
                IngredientIn(text="1 (14 oz) can tomatoes"),
                IngredientIn(text="salt, to taste"),
                IngredientIn(text="1/3 tsp nutmeg"),
            ],
        ),
    )
    for text, extra in (
        ("200 ml milk", {"aisle": "Dairy"}),
        ("1 onion", {"note": 'red, "sweet" — für Suppe'}),
        ("birthday candles", {}),
        ("200 g spinach", {}),
        ("1 bunch spinach", {}),
        ("3 eggs", {}),
        ("2-3 lemons", {}),
    ):
        added = await client.post(
            f"{LISTS}/{list_id}/items", json={"text": text, **extra}, headers=headers
        )
        assert added.status_code == 201, added.text
        if text in ("3 eggs", "birthday candles"):
            checked = await client.patch(
                f"{LISTS}/{list_id}/items/{added.json()['id']}",
                json={"checked": True},
                headers=headers,
            )
            assert checked.status_code == 200, checked.text
    brought = await client.post(
        f"{LISTS}/{list_id}/recipes", json={"recipe_id": recipe.id, "servings": 3}, headers=headers
    )
    assert brought.status_code == 200, brought.text
    assert brought.json()["offered"], "the line to taste is offered"
    return {"added": brought, "recipe_id": recipe.id}


@pytest.mark.parametrize("units", [UnitSystem.ORIGINAL, UnitSystem.METRIC, UnitSystem.US])
async def test_a_list_answers_exactly_what_its_schema_serializes(
    units: UnitSystem,
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    list_id: int,
) -> None:
    """The bytes of the list, and of the answer to a change of the whole list, are those its
    schema makes of them: every field, in the schema's order, numbers as the schema types them
    (a quantity or servings of 3 is 3.0), nothing more."""
    world.member.unit_system = units
    await session.flush()
    filled = await _fill(client, session, world, list_id, as_)
    headers = as_("member")
    read = await client.get(f"{LISTS}/{list_id}", headers=headers)
    assert read.status_code == 200, read.text
    assert read.headers["content-type"] == "application/json"
    assert ShoppingListDetail.model_validate_json(read.content).model_dump_json().encode() == (
        read.content
    )
    body = read.json()
    assert len(body["items"]) == 8
    assert body["checked_total"] == 2
    assert any(item["amounts"] for item in body["items"])
    assert any(item["sources"] and item["sources"][0]["servings"] == 3.0 for item in body["items"])
    added = filled["added"]
    assert ShoppingListAdded.model_validate_json(added.content).model_dump_json().encode() == (
        added.content
    )
    taken = await client.delete(f"{LISTS}/{list_id}/recipes/{filled['recipe_id']}", headers=headers)
    assert taken.status_code == 200, taken.text
    assert ShoppingListDetail.model_validate_json(taken.content).model_dump_json().encode() == (
        taken.content
    )
    # The same list read again is the same list.
    again = await client.get(f"{LISTS}/{list_id}", headers=headers)
    assert again.json()["items"] == taken.json()["items"]


async def test_reading_a_list_makes_no_response_model_per_item(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    list_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A list of thousands of items is read on every visit: its items go straight to JSON (a
    model per item, validated again on the way out, cost more than the rest of the read)."""
    await _fill(client, session, world, list_id, as_)
    made: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        made.append(args)
        raise AssertionError("an item's response model was made")

    monkeypatch.setattr(ItemRead, "__init__", refuse)
    monkeypatch.setattr(ItemRead, "model_validate", refuse)
    read = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert read.status_code == 200, read.text
    assert made == []
    assert len(read.json()["items"]) == 8
