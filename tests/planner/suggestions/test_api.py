"""POST /api/v1/meal-plan/suggest: proposals for empty slot-days, each with its reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.planner.models import MealPlanEntry, MealSlot
from recipevault.planner.suggestions import service as suggestions
from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, StepIn
from tests.planner.plan_rows import make_entry, make_slots
from tests.support.world import World, actor_for, bearer, make_world

URL = "/api/v1/meal-plan/suggest"
MONDAY = dt.date(2026, 12, 7)


@dataclass
class Kitchen:
    world: World
    slots: list[MealSlot]
    ids: dict[str, int]  # recipe ids by title
    other_slot: MealSlot  # a slot of the outsider's household


def _recipe(title: str, foods: list[str], **fields: Any) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        visibility=fields.pop("visibility", Visibility.HOUSEHOLD),
        ingredients=[IngredientIn(text=line) for line in foods],
        steps=[StepIn(text="Cook it.")],
        **fields,
    )


@pytest.fixture
async def kitchen(session: AsyncSession, settings: Settings) -> Kitchen:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    outsider = await actor_for(session, world.outsider)
    household = world.household.id
    mine = [
        _recipe(
            "Lentil soup",
            ["200 g lentils", "1 onion", "2 carrots"],
            tags=["vegetarian", "soup"],
            categories=["Dinner"],
            total_minutes=30,
            rating=5,
        ),
        _recipe(
            "Bean chili",
            ["400 g beans", "1 onion", "2 tomatoes"],
            tags=["vegetarian"],
            categories=["Dinner"],
            total_minutes=45,
            rating=3,
        ),
        _recipe(
            "Steak",
            ["1 steak"],
            tags=["meat"],
            categories=["Dinner"],
            total_minutes=20,
            rating=4,
            visibility=Visibility.PUBLIC,
        ),
        _recipe(
            "Pancakes",
            ["2 cups flour", "2 eggs", "1 cup milk"],
            tags=["vegetarian", "breakfast"],
            categories=["Breakfast"],
            total_minutes=20,
        ),
        # Only its owner may read it: the rest of the household could not open it.
        _recipe("Secret stew", ["1 onion"], visibility=Visibility.PRIVATE, total_minutes=10),
    ]
    ids = {}
    for data in mine:
        created = await recipes.create_recipe(
            session, actor=owner, data=data.model_copy(update={"household_id": household})
        )
        ids[created.title] = created.id
    trashed = await recipes.create_recipe(
        session, actor=owner, data=_recipe("Old soup", ["1 onion"], household_id=household)
    )
    await recipes.trash_recipe(session, actor=owner, recipe_id=trashed.id, if_match=None, ip=None)
    ids["Old soup"] = trashed.id
    for data in (
        _recipe("Outsider's curry", ["1 onion"], total_minutes=25),
        _recipe("Public salad", ["1 lettuce"], visibility=Visibility.PUBLIC, tags=["vegetarian"]),
    ):
        ids[data.title] = (await recipes.create_recipe(session, actor=outsider, data=data)).id
    slots = await make_slots(session, household)
    (other_slot,) = await make_slots(session, next(iter(outsider.household_ids)), ("Dinner",))
    return Kitchen(world=world, slots=slots, ids=ids, other_slot=other_slot)


def _as(kitchen: Kitchen, session: AsyncSession, settings: Settings, name: str) -> dict[str, str]:
    return bearer(kitchen.world.all()[name], settings, session)


async def _suggest(
    client: httpx.AsyncClient,
    kitchen: Kitchen,
    headers: dict[str, str],
    *,
    days: int = 1,
    slots: list[MealSlot] | None = None,
    **fields: Any,
) -> list[dict[str, Any]]:
    body = {
        "household_id": kitchen.world.household.id,
        "start": MONDAY.isoformat(),
        "end": (MONDAY + dt.timedelta(days=days - 1)).isoformat(),
        "slot_ids": [slot.id for slot in slots or kitchen.slots],
        **fields,
    }
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture
def member(kitchen: Kitchen, session: AsyncSession, settings: Settings) -> dict[str, str]:
    return _as(kitchen, session, settings, "member")


async def test_each_empty_slot_day_gets_a_recipe_that_meets_the_rules_and_says_so(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str], session: AsyncSession
) -> None:
    breakfast, lunch, dinner = kitchen.slots
    await make_entry(session, dinner, MONDAY, recipe_id=kitchen.ids["Steak"])
    # A note spanning two days fills both of them.
    await make_entry(session, lunch, MONDAY, end_date=MONDAY + dt.timedelta(days=1))
    items = await _suggest(
        client,
        kitchen,
        member,
        days=3,
        rules={"include_tags": ["vegetarian"], "max_total_minutes": 30},
    )
    day = [MONDAY + dt.timedelta(days=n) for n in range(3)]
    assert [(item["date"], item["slot_id"]) for item in items] == [
        (day[0].isoformat(), breakfast.id),
        (day[1].isoformat(), breakfast.id),
        (day[1].isoformat(), dinner.id),
        (day[2].isoformat(), breakfast.id),
        (day[2].isoformat(), lunch.id),
        (day[2].isoformat(), dinner.id),
    ]
    allowed = {kitchen.ids["Lentil soup"], kitchen.ids["Pancakes"]}
    for item in items:
        assert item["recipe"]["id"] in allowed
        assert item["reasons"] == ["Tagged vegetarian", "Ready in 30 min or less"]
    soup = next(item["recipe"] for item in items if item["recipe"]["id"] in allowed)
    assert set(soup) == {"id", "title", "slug"}
    # Two recipes fit: they take turns rather than one of them filling the week.
    assert {item["recipe"]["id"] for item in items} == allowed


async def test_only_what_every_member_may_read_is_proposed(
    client: httpx.AsyncClient, kitchen: Kitchen, session: AsyncSession, settings: Settings
) -> None:
    readable = {
        kitchen.ids[title]
        for title in ("Lentil soup", "Bean chili", "Steak", "Pancakes", "Public salad")
    }
    for name in ("owner", "member", "admin"):
        items = await _suggest(client, kitchen, _as(kitchen, session, settings, name), days=7)
        assert {item["recipe"]["id"] for item in items} == readable, name


async def test_a_recipe_planned_nearby_is_not_proposed_and_a_slot_with_none_says_why(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str], session: AsyncSession
) -> None:
    dinner = kitchen.slots[2]
    await make_entry(
        session, dinner, MONDAY - dt.timedelta(days=3), recipe_id=kitchen.ids["Lentil soup"]
    )
    items = await _suggest(
        client,
        kitchen,
        member,
        days=4,
        slots=[dinner],
        rules={"include_categories": ["Dinner"], "not_planned_within_days": 7},
    )
    proposed = [item["recipe"] and item["recipe"]["id"] for item in items]
    assert sorted(proposed[:2]) == sorted([kitchen.ids["Bean chili"], kitchen.ids["Steak"]])
    assert proposed[2:] == [None, None]
    assert items[0]["reasons"] == ["In Dinner", "Not planned within 7 days"]
    assert items[2]["reasons"] == ["Every recipe that meets these rules is planned within 7 days"]


async def test_foods_on_hand_rank_as_cook_with_does(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str]
) -> None:
    items = await _suggest(
        client,
        kitchen,
        member,
        days=3,
        slots=[kitchen.slots[2]],
        rules={"foods_on_hand": ["lentils", "onions", "carrot"]},
    )
    assert [item["recipe"]["title"] for item in items] == [
        "Lentil soup",
        "Bean chili",
        "Lentil soup",
    ]
    assert items[0]["reasons"] == ["You have 3 of its 3 foods"]
    assert items[1]["reasons"] == ["You have 1 of its 3 foods"]


async def test_rated_recipes_come_first_best_first(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str]
) -> None:
    items = await _suggest(
        client, kitchen, member, days=5, slots=[kitchen.slots[2]], rules={"rated_first": True}
    )
    titles = [item["recipe"]["title"] for item in items]
    assert titles[:3] == ["Lentil soup", "Steak", "Bean chili"]
    assert sorted(titles[3:]) == ["Pancakes", "Public salad"]
    assert [item["reasons"] for item in items[:3]] == [["Rated 5"], ["Rated 4"], ["Rated 3"]]
    assert items[3]["reasons"] == []


async def test_the_same_seed_gives_the_same_plan_and_nothing_is_saved(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str], session: AsyncSession
) -> None:
    plans = [await _suggest(client, kitchen, member, days=7, seed=seed) for seed in (1, 2, 1, 3, 4)]
    assert plans[0] == plans[2]
    assert len({repr(plan) for plan in plans}) > 1
    assert await session.scalar(select(func.count()).select_from(MealPlanEntry)) == 0


async def test_no_slots_named_means_every_slot(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str]
) -> None:
    body = {"household_id": kitchen.world.household.id, "start": "2026-12-07", "end": "2026-12-07"}
    response = await client.post(URL, json=body, headers=member)
    assert [item["slot_id"] for item in response.json()["items"]] == [
        slot.id for slot in kitchen.slots
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": "2026-12-06"}, "end"),
        ({"end": "2027-03-17"}, "end"),  # 101 days
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"slot_ids": [10**6]}, "slot_ids"),
        ({"slot_ids": []}, "slot_ids"),
        ({"seed": -1}, "seed"),
        ({"rules": {"max_total_minutes": 0}}, "rules.max_total_minutes"),
        ({"rules": {"max_total_minutes": 10**7}}, "rules.max_total_minutes"),
        ({"rules": {"not_planned_within_days": 10_000}}, "rules.not_planned_within_days"),
        ({"rules": {"include_tags": ["x"] * 11}}, "rules.include_tags"),
        ({"rules": {"include_tags": ["soup"], "exclude_tags": ["Soup"]}}, "rules.exclude_tags"),
        ({"rules": {"favourites": True}}, "rules.favourites"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient,
    kitchen: Kitchen,
    member: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {
        "household_id": kitchen.world.household.id,
        "start": "2026-12-07",
        "end": "2026-12-13",
        **change,
    }
    response = await client.post(URL, json=body, headers=member)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]], response.text


async def test_another_households_slot_is_422(
    client: httpx.AsyncClient, kitchen: Kitchen, member: dict[str, str]
) -> None:
    body = {
        "household_id": kitchen.world.household.id,
        "start": "2026-12-07",
        "end": "2026-12-07",
        "slot_ids": [kitchen.slots[0].id, kitchen.other_slot.id],
    }
    response = await client.post(URL, json=body, headers=member)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["slot_ids"]


async def test_a_household_one_is_not_in_does_not_exist(
    client: httpx.AsyncClient, kitchen: Kitchen, session: AsyncSession, settings: Settings
) -> None:
    outsider = _as(kitchen, session, settings, "outsider")
    body = {"household_id": kitchen.world.household.id, "start": "2026-12-07", "end": "2026-12-07"}
    assert (await client.post(URL, json=body, headers=outsider)).status_code == 404
    missing = body | {"household_id": 10**6}
    assert (await client.post(URL, json=missing, headers=outsider)).status_code == 404
    assert (await client.post(URL, json=body)).status_code == 401


async def test_a_small_pool_never_says_nothing_fits_while_a_recipe_would(
    client: httpx.AsyncClient,
    kitchen: Kitchen,
    member: dict[str, str],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With a pool of two drawn from four recipes, three of them planned nearby, a fixed-size
    # sample would often hold only planned ones and say that every recipe is planned.
    monkeypatch.setattr(suggestions, "CHOICES", 2)
    dinner = kitchen.slots[2]
    for title in ("Lentil soup", "Bean chili", "Pancakes"):
        day = MONDAY - dt.timedelta(days=1)
        await make_entry(session, dinner, day, recipe_id=kitchen.ids[title])
    free = kitchen.ids["Public salad"]
    for seed in range(12):
        items = await _suggest(
            client,
            kitchen,
            member,
            slots=[dinner],
            seed=seed,
            rules={"not_planned_within_days": 3, "exclude_tags": ["meat"]},
        )
        assert [item["recipe"] and item["recipe"]["id"] for item in items] == [free], seed
