"""Meal slots and plan entries written as rows, for tests of what reads them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.planner.models import MealPlanEntry, MealSlot

DEFAULT_SLOTS = ("Breakfast", "Lunch", "Dinner")


async def make_slots(
    session: AsyncSession, household_id: int, names: tuple[str, ...] = DEFAULT_SLOTS
) -> list[MealSlot]:
    slots = [
        MealSlot(household_id=household_id, name=name, position=position)
        for position, name in enumerate(names)
    ]
    session.add_all(slots)
    await session.flush()
    return slots


async def make_entry(
    session: AsyncSession,
    slot: MealSlot,
    day: dt.date,
    *,
    recipe_id: int | None = None,
    end_date: dt.date | None = None,
    title: str | None = None,
) -> MealPlanEntry:
    entry = MealPlanEntry(
        household_id=slot.household_id,
        slot_id=slot.id,
        date=day,
        end_date=end_date or day,
        recipe_id=recipe_id,
        title=title if title is not None or recipe_id is not None else "Eating out",
    )
    session.add(entry)
    await session.flush()
    return entry
