"""Reading a household's plan: a month of entries in one query, answered exactly as the entry
schema serializes it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.clock import utcnow
from recipevault.planner import service
from recipevault.planner.api import entry_list
from recipevault.planner.models import MealPlanEntry
from recipevault.policy import Visibility
from recipevault.recipes.models import Recipe
from tests.planner.conftest import PLAN, HeadersFor, make_recipe
from tests.support.database import statements_run
from tests.support.world import World, actor_for

MONTH = {"start": "2026-12-01", "end": "2026-12-31"}


async def _plan_month(
    session: AsyncSession, world: World, slots: dict[str, int], entries: int
) -> None:
    """``entries`` entries over December 2026, four a day: recipes the member may read, one
    they no longer may, one in the trash, notes, leftovers, a cook, a dinner of two days."""
    readable = await make_recipe(session, world, title='Crème brûlée "maison"', servings=6)
    hidden = await make_recipe(session, world, title="Secret stew", owner="owner")
    trashed = await make_recipe(session, world, title="Old pie")
    await session.execute(
        update(Recipe).where(Recipe.id == hidden.id).values(visibility=Visibility.PRIVATE)
    )
    await session.execute(update(Recipe).where(Recipe.id == trashed.id).values(deleted_at=utcnow()))
    names = ["Breakfast", "Lunch", "Dinner", "Snack"]
    recipes = [readable.id, hidden.id, trashed.id, None]
    planned: list[MealPlanEntry] = []
    for number in range(entries):
        day, slot = divmod(number, 4)
        date = dt.date(2026, 12, 1) + dt.timedelta(days=day)
        recipe_id = recipes[number % 4] if slot != 3 else None
        entry = MealPlanEntry(
            household_id=world.household.id,
            date=date,
            end_date=date + dt.timedelta(days=1 if slot == 2 and day % 7 == 0 else 0),
            slot_id=slots[names[slot]],
            recipe_id=recipe_id,
            servings=Decimal("2.5") if number % 5 == 0 else None,
            title="Fruit & nuts" if recipe_id is None else None,
            note="Line one\nline «two»" if number % 3 == 0 else None,
            cook_id=world.member.id if number % 2 else None,
            leftovers_of_id=planned[-4].id if slot == 1 and len(planned) >= 4 else None,
            created_by_id=world.owner.id,
            updated_at=utcnow(),
            sequence=0,
        )
        session.add(entry)
        await session.flush()
        planned.append(entry)


def _reads(statement: str) -> bool:
    # Savepoints are the test harness's, not the listing's.
    return "SAVEPOINT" not in statement.upper()


@pytest.mark.parametrize("entries", [4, 120])
async def test_a_month_is_read_in_one_query_however_many_entries(
    entries: int,
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
) -> None:
    """One statement identifies the caller, one reads the month with its recipes."""
    await _plan_month(session, world, slots, entries)
    headers = as_("member")
    params: dict[str, str | int] = {"household_id": world.household.id, **MONTH}
    await client.get(PLAN, params=params, headers=headers)  # what the test wrote is committed
    with statements_run(engine, _reads) as statements:
        response = await client.get(PLAN, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == entries
    assert len(statements) == 2, statements


async def test_the_listing_answers_what_the_entry_schema_serializes(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
) -> None:
    """The bytes the listing sends are those of ``MealPlanEntryList`` made from the entries
    (as every other route that answers entries makes them), unavailable recipes included."""
    await _plan_month(session, world, slots, 40)
    params: dict[str, str | int] = {"household_id": world.household.id, **MONTH}
    response = await client.get(PLAN, params=params, headers=as_("member"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    planned = await service.list_plan(
        session,
        actor=await actor_for(session, world.member),
        household_id=world.household.id,
        start=dt.date(2026, 12, 1),
        end=dt.date(2026, 12, 31),
    )
    assert response.content == entry_list(planned).model_dump_json().encode()
    items = response.json()["items"]
    assert {item["recipe_unavailable"] for item in items} == {True, False}
    assert any(item["servings"] == 2.5 for item in items)
    assert all(item["recipe"] is None for item in items if item["recipe_unavailable"])
