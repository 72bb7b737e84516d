"""/api/v1/households/{id}/meal-slots: a household's ordered meal slots."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from recipevault.config import Settings
from recipevault.planner import service
from recipevault.planner.models import MealSlot
from tests.planner.conftest import HeadersFor
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import World, actor_for, make_world

DEFAULTS = [
    {"name": "Breakfast", "time": "08:00", "position": 0},
    {"name": "Lunch", "time": "12:30", "position": 1},
    {"name": "Dinner", "time": "19:00", "position": 2},
    {"name": "Snack", "time": None, "position": 3},
]


def slots_url(world: World) -> str:
    return f"/api/v1/households/{world.household.id}/meal-slots"


def shown(slots: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{key: slot[key] for key in ("name", "time", "position")} for slot in slots]


async def test_a_household_starts_with_the_default_slots(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    first = await client.get(slots_url(world), headers=as_("member"))
    assert first.status_code == 200
    assert shown(first.json()) == DEFAULTS
    again = await client.get(slots_url(world), headers=as_("owner"))
    assert again.json() == first.json()


async def test_members_add_rename_reorder_and_remove_slots(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    added = await client.post(
        slots_url(world),
        json={"name": "Brunch", "time": "10:30", "position": 1},
        headers=as_("member"),
    )
    assert added.status_code == 201
    brunch = added.json()
    assert {k: brunch[k] for k in ("name", "time", "position")} == {
        "name": "Brunch",
        "time": "10:30",
        "position": 1,
    }
    listed = (await client.get(slots_url(world), headers=as_("member"))).json()
    assert [slot["name"] for slot in listed] == ["Breakfast", "Brunch", "Lunch", "Dinner", "Snack"]
    assert [slot["position"] for slot in listed] == [0, 1, 2, 3, 4]

    url = f"{slots_url(world)}/{brunch['id']}"
    changed = await client.patch(
        url, json={"name": "Late brunch", "time": None, "position": 9}, headers=as_("owner")
    )
    assert changed.status_code == 200
    assert changed.json()["time"] is None
    listed = (await client.get(slots_url(world), headers=as_("member"))).json()
    assert [slot["name"] for slot in listed] == [
        "Breakfast",
        "Lunch",
        "Dinner",
        "Snack",
        "Late brunch",
    ]
    moved = await client.patch(url, json={"position": 0, "time": "11:15"}, headers=as_("member"))
    assert moved.json()["position"] == 0
    assert moved.json()["time"] == "11:15"

    removed = await client.delete(url, headers=as_("member"))
    assert removed.status_code == 204
    listed = (await client.get(slots_url(world), headers=as_("member"))).json()
    assert shown(listed) == DEFAULTS


async def test_a_slot_with_planned_meals_is_not_removed(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    dinner = (await client.get(slots_url(world), headers=as_("member"))).json()[2]
    planned = await client.post(
        "/api/v1/meal-plan",
        json={
            "household_id": world.household.id,
            "date": "2026-12-07",
            "slot_id": dinner["id"],
            "title": "Eating out",
        },
        headers=as_("member"),
    )
    assert planned.status_code == 201
    refused = await client.delete(f"{slots_url(world)}/{dinner['id']}", headers=as_("member"))
    assert refused.status_code == 409
    assert len((await client.get(slots_url(world), headers=as_("member"))).json()) == 4


async def test_other_households_slots_do_not_exist(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    dinner = (await client.get(slots_url(world), headers=as_("member"))).json()[2]
    assert (await client.get(slots_url(world), headers=as_("outsider"))).status_code == 404
    outsider_home = (await client.get("/api/v1/households", headers=as_("outsider"))).json()[0]
    theirs = f"/api/v1/households/{outsider_home['id']}/meal-slots/{dinner['id']}"
    assert (
        await client.patch(theirs, json={"name": "X"}, headers=as_("outsider"))
    ).status_code == 404
    assert (
        await client.get("/api/v1/households/999999/meal-slots", headers=as_("admin"))
    ).status_code == 404
    assert (await client.get(slots_url(world), headers=as_("admin"))).status_code == 200


async def test_bad_slots_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    for body, field in (
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "Tea", "time": "25:00"}, "time"),
        ({"name": "Tea", "time": "10:00+02:00"}, "time"),
        ({"name": "Tea", "position": -1}, "position"),
    ):
        response = await client.post(slots_url(world), json=body, headers=as_("member"))
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in {error["field"] for error in response.json()["errors"]}, body
    slot = (await client.get(slots_url(world), headers=as_("member"))).json()[0]
    refused = await client.patch(
        f"{slots_url(world)}/{slot['id']}", json={"name": None}, headers=as_("member")
    )
    assert refused.status_code == 422


async def test_first_uses_at_once_make_the_default_slots_once(
    settings: Settings, databases: DatabaseFactory
) -> None:
    async with own_database(databases, settings, "planner_start") as database:
        async with database.session() as session:
            world = await make_world(session, settings)
            actor = await actor_for(session, world.member)
            await session.commit()

        async def first_use() -> None:
            async with database.session() as session:
                await service.list_meal_slots(session, actor=actor, household_id=world.household.id)
                await session.commit()

        await asyncio.wait_for(asyncio.gather(*(first_use() for _ in range(4))), timeout=30)
        async with database.session(write=False) as session:
            count = await session.scalar(
                select(func.count())
                .select_from(MealSlot)
                .where(MealSlot.household_id == world.household.id)
            )
        assert count == 4
