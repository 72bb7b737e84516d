"""Meal slots and plan entries for tests, written as rows (what the planner's service would
have stored), so that tests of the parts built on the plan do not depend on how it is edited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.planner.models import MealPlanEntry, MealSlot


async def make_slot(
    session: AsyncSession,
    household_id: int,
    *,
    name: str = "Dinner",
    time: dt.time | None = dt.time(19, 0),
    position: int = 0,
) -> MealSlot:
    slot = MealSlot(household_id=household_id, name=name, time=time, position=position)
    session.add(slot)
    await session.flush()
    return slot


async def make_entry(
    session: AsyncSession,
    slot: MealSlot,
    date: dt.date,
    *,
    end_date: dt.date | None = None,
    recipe_id: int | None = None,
    servings: Decimal | int | None = None,
    title: str | None = None,
    note: str | None = None,
    leftovers_of_id: int | None = None,
    created_by_id: int | None = None,
) -> MealPlanEntry:
    entry = MealPlanEntry(
        household_id=slot.household_id,
        slot_id=slot.id,
        date=date,
        end_date=end_date or date,
        recipe_id=recipe_id,
        servings=None if servings is None else Decimal(servings),
        title=title,
        note=note,
        leftovers_of_id=leftovers_of_id,
        created_by_id=created_by_id,
    )
    session.add(entry)
    await session.flush()
    return entry
