"""Templates applied at once, and rotations planned ahead by the worker's upkeep."""

from __future__ import annotations

import asyncio
import datetime as dt

import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.planner import service as planner
from recipevault.planner.models import MealPlanEntry
from recipevault.planner.schemas import MealPlanEntryCreate
from recipevault.planner.templates import service
from recipevault.policy import Actor
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import World, actor_for, make_world

MONDAY = dt.date(2026, 11, 30)


async def _template_of_a_week(session: AsyncSession, actor: Actor, household_id: int) -> int:
    """A template of one week with dinner on Monday and a note on Wednesday."""
    slots = await planner.list_meal_slots(session, actor=actor, household_id=household_id)
    for day, title in ((MONDAY, "Pizza night"), (MONDAY + dt.timedelta(days=2), "Soup")):
        await planner.add_plan_entry(
            session,
            actor=actor,
            data=MealPlanEntryCreate(
                household_id=household_id, date=day, slot_id=slots[2].id, title=title
            ),
        )
    view = await service.save_week_as_template(
        session, actor=actor, household_id=household_id, name="Usual", week_start=MONDAY
    )
    return view.template.id


async def _planned(session: AsyncSession, household_id: int) -> list[tuple[dt.date, str | None]]:
    rows = await session.execute(
        select(MealPlanEntry.date, MealPlanEntry.title)
        .where(
            MealPlanEntry.household_id == household_id,
            MealPlanEntry.date > MONDAY + dt.timedelta(days=6),
        )
        .order_by(MealPlanEntry.date)
    )
    return [(day, title) for day, title in rows]


async def test_applying_a_template_at_once_plans_each_entry_once(
    settings: Settings, databases: DatabaseFactory
) -> None:
    async with own_database(databases, settings, "apply_at_once") as database:
        async with database.session() as session:
            world = await make_world(session, settings)
            actors = [await actor_for(session, user) for user in (world.owner, world.member)]
            template_id = await _template_of_a_week(session, actors[0], world.household.id)
            await session.commit()

        async def apply(actor: Actor) -> int:
            async with database.session() as session:
                planned = await service.apply_template(
                    session, actor=actor, template_id=template_id, week_start=dt.date(2027, 1, 4)
                )
                await session.commit()
                return len(planned)

        async with database.session() as first:
            # One application's rows are inserted and not committed while the others apply.
            await service.apply_template(
                first, actor=actors[0], template_id=template_id, week_start=dt.date(2027, 1, 4)
            )
            others = [asyncio.create_task(apply(actors[n % 2])) for n in range(4)]
            await asyncio.sleep(0.5)
            await first.commit()
        counts = await asyncio.wait_for(asyncio.gather(*others), timeout=30)

        async with database.session(write=False) as session:
            planned = await _planned(session, world.household.id)
        assert planned == [(dt.date(2027, 1, 4), "Pizza night"), (dt.date(2027, 1, 6), "Soup")]
        assert counts == [2, 2, 2, 2]


async def test_the_upkeep_plans_rotations_ahead_and_never_again(
    session: AsyncSession, settings: Settings, world: World
) -> None:
    actor = await actor_for(session, world.member)
    household_id = world.household.id
    template_id = await _template_of_a_week(session, actor, household_id)
    with time_machine.travel("2026-12-01 08:00:00+00:00", tick=False):
        rotation = await service.start_rotation(
            session,
            actor=actor,
            household_id=household_id,
            template_id=template_id,
            start_date=MONDAY,
            every_weeks=4,
            end_date=None,
        )
    assert rotation.planned_through == dt.date(2027, 1, 26)
    # Its own week was planned already (the template was made from it); then every fourth
    # week within eight weeks: 12-28 and 01-25.
    assert [day for day, _ in await _planned(session, household_id)] == [
        dt.date(2026, 12, 28),
        dt.date(2026, 12, 30),
        dt.date(2027, 1, 25),
        dt.date(2027, 1, 27),
    ]
    # Someone removes a planned dinner: the upkeep does not bring it back.
    removed = await session.scalar(
        select(MealPlanEntry).where(MealPlanEntry.date == dt.date(2026, 12, 28))
    )
    assert removed is not None
    await session.delete(removed)
    await session.flush()
    assert await service.plan_rotations_ahead(session, today=dt.date(2026, 12, 1)) == 0
    # Four weeks on, the next rotation week comes within the horizon.
    assert await service.plan_rotations_ahead(session, today=dt.date(2026, 12, 29)) == 1
    assert await service.plan_rotations_ahead(session, today=dt.date(2026, 12, 29)) == 0
    assert rotation.planned_through == dt.date(2027, 2, 23)
    assert [day for day, _ in await _planned(session, household_id)] == [
        dt.date(2026, 12, 30),
        dt.date(2027, 1, 25),
        dt.date(2027, 1, 27),
        dt.date(2027, 2, 22),
        dt.date(2027, 2, 24),
    ]
    count = await session.scalar(select(func.count()).select_from(MealPlanEntry))
    assert count == 7  # with the two of the template's own week, planned once
