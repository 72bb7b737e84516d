"""Recipes and planned meals put on a list: scaled, merged with what is there, offered where a
cook would not buy, once per planned meal, and taken off by exactly their share."""

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
from tests.shopping.conftest import LISTS, HeadersFor
from tests.support.world import World, actor_for

PANCAKE_LINES = [
    IngredientIn(text="200 g flour"),
    IngredientIn(text="2 eggs"),
    IngredientIn(text="1 tbsp sugar"),
    IngredientIn(text="300 ml milk"),
    IngredientIn(text="salt, to taste"),
    IngredientIn(text="1 tsp vanilla extract", optional=True),
]


async def _recipe(
    session: AsyncSession,
    world: World,
    title: str,
    lines: list[IngredientIn],
    *,
    servings: int = 4,
    owner: str = "owner",
    visibility: Visibility = Visibility.HOUSEHOLD,
) -> int:
    actor = await actor_for(session, world.all()[owner])
    household_id = world.household.id if owner != "outsider" else None
    created = await recipes.create_recipe(
        session,
        actor=actor,
        data=RecipeCreate(
            title=title,
            visibility=visibility,
            household_id=household_id,
            servings=Decimal(servings),
            ingredients=lines,
        ),
    )
    return int(created.id)


@pytest.fixture
async def pancakes(session: AsyncSession, world: World) -> int:
    return await _recipe(session, world, "Pancakes", PANCAKE_LINES)


def _texts(body: dict[str, Any]) -> list[str]:
    return [item["text"] for item in body["items"]]


async def test_a_recipe_goes_on_scaled_and_offers_what_a_cook_would_not_buy(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int, pancakes: int
) -> None:
    added = await client.post(
        f"{LISTS}/{list_id}/recipes",
        json={"recipe_id": pancakes, "servings": 8},
        headers=as_("member"),
    )
    assert added.status_code == 200, added.text
    body = added.json()
    assert _texts(body) == ["400 g flour", "4 eggs", "2 tbsp sugar", "600 ml milk"]
    assert [(line["text"], line["reason"]) for line in body["offered"]] == [
        ("salt, to taste", "to taste"),
        ("1 tsp vanilla extract", "optional"),
    ]
    assert body["items"][0]["sources"] == [
        {"recipe_id": pancakes, "plan_entry_id": None, "servings": 8.0}
    ]
    # Asking for an offered line adds it; the rest add again (a second batch).
    vanilla = body["offered"][1]["position"]
    again = await client.post(
        f"{LISTS}/{list_id}/recipes",
        json={"recipe_id": pancakes, "include": [vanilla]},
        headers=as_("member"),
    )
    assert _texts(again.json()) == [
        "600 g flour",
        "6 eggs",
        "3 tbsp sugar",
        "900 ml milk",
        "1 tsp vanilla extract",
    ]


async def test_a_recipe_joins_what_is_on_the_list_and_leaves_exactly_its_share(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int, pancakes: int
) -> None:
    headers = as_("member")
    flour = await client.post(
        f"{LISTS}/{list_id}/items", json={"text": "1 kg flour"}, headers=headers
    )
    eggs = await client.post(f"{LISTS}/{list_id}/items", json={"text": "6 eggs"}, headers=headers)
    await client.patch(
        f"{LISTS}/{list_id}/items/{eggs.json()['id']}", json={"checked": True}, headers=headers
    )
    added = await client.post(
        f"{LISTS}/{list_id}/recipes", json={"recipe_id": pancakes}, headers=headers
    )
    items = {item["food"]: item for item in added.json()["items"]}
    assert items["flour"]["id"] == flour.json()["id"]
    assert (items["flour"]["quantity"], items["flour"]["unit"]) == (1.2, "kilogram")
    # Checked off before: it stays checked off, its amount grown, never back on the list.
    assert items["eggs"]["id"] == eggs.json()["id"]
    assert (items["eggs"]["checked"], items["eggs"]["quantity"]) == (True, 8.0)
    removed = await client.delete(f"{LISTS}/{list_id}/recipes/{pancakes}", headers=headers)
    assert removed.status_code == 200
    assert _texts(removed.json()) == ["1 kg flour", "6 eggs"]
    again = await client.delete(f"{LISTS}/{list_id}/recipes/{pancakes}", headers=headers)
    assert again.status_code == 404


async def test_staples_are_offered_unless_asked_for(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, list_id: int, pancakes: int
) -> None:
    staples = f"/api/v1/households/{world.household.id}/staples"
    kept = await client.put(staples, json={"foods": ["Sugar", "eggs"]}, headers=as_("member"))
    assert kept.json() == {"foods": ["eggs", "Sugar"]}
    added = await client.post(
        f"{LISTS}/{list_id}/recipes", json={"recipe_id": pancakes}, headers=as_("member")
    )
    assert _texts(added.json()) == ["200 g flour", "300 ml milk"]
    assert {line["text"]: line["reason"] for line in added.json()["offered"]} == {
        "2 eggs": "staple",
        "1 tbsp sugar": "staple",
        "salt, to taste": "to taste",
        "1 tsp vanilla extract": "optional",
    }
    cleared = await client.put(staples, json={"foods": []}, headers=as_("owner"))
    assert cleared.json() == {"foods": []}


async def test_a_week_of_plans_goes_on_once_at_the_planned_servings(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    list_id: int,
    pancakes: int,
    session: AsyncSession,
) -> None:
    headers = as_("member")
    slots = await client.get(f"/api/v1/households/{world.household.id}/meal-slots", headers=headers)
    breakfast = slots.json()[0]["id"]

    async def plan(day: str, **entry: Any) -> dict[str, Any]:
        body = {"household_id": world.household.id, "date": day, "slot_id": breakfast, **entry}
        planned = await client.post("/api/v1/meal-plan", json=body, headers=headers)
        assert planned.status_code == 201, planned.text
        made: dict[str, Any] = planned.json()
        return made

    monday = await plan("2026-12-07", recipe_id=pancakes, servings=2)
    await plan("2026-12-08", leftovers_of=monday["id"])
    await plan("2026-12-09", title="Eating out")
    week = {"start": "2026-12-07", "end": "2026-12-13"}
    added = await client.post(f"{LISTS}/{list_id}/meal-plan", json=week, headers=headers)
    assert added.status_code == 200, added.text
    assert _texts(added.json()) == ["100 g flour", "1 egg", "1½ tsp sugar", "150 ml milk"]
    assert added.json()["items"][0]["sources"] == [
        {"recipe_id": pancakes, "plan_entry_id": monday["id"], "servings": 2.0}
    ]
    again = await client.post(f"{LISTS}/{list_id}/meal-plan", json=week, headers=headers)
    assert _texts(again.json()) == _texts(added.json())
    taken = await client.delete(f"{LISTS}/{list_id}/meal-plan/{monday['id']}", headers=headers)
    assert taken.status_code == 200
    assert _texts(taken.json()) == []


async def test_a_reader_reads_amounts_in_their_units(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    list_id: int,
    session: AsyncSession,
) -> None:
    cream = await _recipe(session, world, "Cream", [IngredientIn(text="1 cup heavy cream")])
    await client.post(
        f"{LISTS}/{list_id}/recipes", json={"recipe_id": cream}, headers=as_("member")
    )
    await client.post(
        f"{LISTS}/{list_id}/items", json={"text": "250 ml heavy cream"}, headers=as_("member")
    )
    world.member.unit_system = UnitSystem.METRIC
    world.owner.unit_system = UnitSystem.US
    await session.flush()
    metric = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    us = await client.get(f"{LISTS}/{list_id}", headers=as_("owner"))
    assert metric.json()["items"][0]["unit"] == "milliliter"
    assert us.json()["items"][0]["unit"] == "cup"
    assert len(metric.json()["items"]) == 1


async def test_a_recipe_one_may_not_read_cannot_go_on(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    list_id: int,
    session: AsyncSession,
) -> None:
    theirs = await _recipe(
        session,
        world,
        "Secret",
        [IngredientIn(text="1 truffle")],
        owner="outsider",
        visibility=Visibility.PRIVATE,
    )
    refused = await client.post(
        f"{LISTS}/{list_id}/recipes", json={"recipe_id": theirs}, headers=as_("member")
    )
    assert refused.status_code == 404
    read = await client.get(f"{LISTS}/{list_id}", headers=as_("member"))
    assert (read.json()["items"], read.json()["sequence"]) == ([], 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"servings": 0}, "servings"),
        ({"servings": -2}, "servings"),
        ({"servings": 1_000_000}, "servings"),
        ({"include": [-1]}, "include"),
        ({"recipe_id": 0}, "recipe_id"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient,
    as_: HeadersFor,
    list_id: int,
    pancakes: int,
    body: dict[str, Any],
    field: str,
) -> None:
    sent = {"recipe_id": pancakes, **body}
    response = await client.post(f"{LISTS}/{list_id}/recipes", json=sent, headers=as_("member"))
    assert response.status_code == 422, response.text
    assert any(error["field"].startswith(field) for error in response.json()["errors"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-12-13", "end": "2026-12-07"}, "end"),
        ({"start": "2026-01-01", "end": "2026-12-31"}, "end"),
        ({"start": "1900-01-01", "end": "1900-01-02"}, "start"),
        ({"start": "2026-12-07"}, "end"),
        ({"start": "2026-12-07", "end": 1765065600}, "end"),
    ],
)
async def test_a_bad_range_is_422_naming_the_field(
    client: httpx.AsyncClient,
    as_: HeadersFor,
    list_id: int,
    body: dict[str, Any],
    field: str,
) -> None:
    response = await client.post(f"{LISTS}/{list_id}/meal-plan", json=body, headers=as_("member"))
    assert response.status_code == 422, response.text
    assert any(error["field"].startswith(field) for error in response.json()["errors"])


async def test_a_bad_range_is_refused_even_under_an_op_id_already_seen(
    client: httpx.AsyncClient, as_: HeadersFor, list_id: int
) -> None:
    url = f"{LISTS}/{list_id}/meal-plan"
    first = {"start": "2026-12-07", "end": "2026-12-13", "op_id": "week-1"}
    assert (await client.post(url, json=first, headers=as_("member"))).status_code == 200
    backwards = {**first, "end": "2026-12-01"}
    assert (await client.post(url, json=backwards, headers=as_("member"))).status_code == 422
