"""A page of the plan reads what it shows in two statements besides identifying the viewer,
however many entries, slots, calendar addresses and templates the household has: its frame
(the viewer's households, the slots, feeds and templates) and the days' entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.clock import utcnow
from recipevault.planner.models import CalendarFeed, MealPlanEntry, MealPlanTemplate
from tests.planner.conftest import make_recipe
from tests.support.database import statements_run
from tests.support.world import World, sign_in


def _statements(statement: str) -> bool:
    # Savepoints are the test harness's, not the page's.
    return "SAVEPOINT" not in statement.upper()


async def _plan_month(
    session: AsyncSession, world: World, slots: dict[str, int], entries: int
) -> None:
    """``entries`` entries over December 2026, four a day: recipes at their servings or at
    their own, notes, leftovers and a dinner of two days each week."""
    soup = await make_recipe(session, world, title="Lentil soup", servings=4)
    names = ["Breakfast", "Lunch", "Dinner", "Snack"]
    for number in range(entries):
        day, slot = divmod(number, 4)
        date = dt.date(2026, 12, 1) + dt.timedelta(days=day)
        session.add(
            MealPlanEntry(
                household_id=world.household.id,
                date=date,
                end_date=date + dt.timedelta(days=1 if slot == 2 and day % 7 == 0 else 0),
                slot_id=slots[names[slot]],
                recipe_id=soup.id if slot != 3 else None,
                servings=Decimal(6) if number % 5 == 0 and slot != 3 else None,
                title="Fruit" if slot == 3 else None,
                created_by_id=world.owner.id,
                updated_at=utcnow(),
                sequence=0,
            )
        )
    await session.flush()


async def _keep_a_feed_and_templates(session: AsyncSession, world: World) -> None:
    session.add(
        CalendarFeed(household_id=world.household.id, token_hash="a" * 64, created_by_id=None)
    )
    for name in ("Busy week", "Autumn"):
        session.add(MealPlanTemplate(household_id=world.household.id, name=name))
    await session.flush()


async def _page_read(
    client: httpx.AsyncClient, session: AsyncSession, engine: AsyncEngine, world: World, url: str
) -> tuple[str, list[str]]:
    """The page at ``url`` as the member sees it with a calendar address and two templates,
    and the statements it ran (read once before, so that what the test wrote is committed)."""
    await _keep_a_feed_and_templates(session, world)
    await sign_in(client, world.member.email)
    assert (await client.get(url)).status_code == 200
    with statements_run(engine, _statements) as statements:
        response = await client.get(url)
    assert response.status_code == 200, response.text[-800:]
    return response.text, statements


@pytest.mark.parametrize("entries", [4, 120])
async def test_a_month_is_read_in_two_statements_beside_the_viewer(
    entries: int,
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    world: World,
    slots: dict[str, int],
) -> None:
    """Identifying the browser is one statement; the page's frame and its days' entries are
    the two others, with no transaction around them."""
    await _plan_month(session, world, slots, entries)
    url = f"/planner?household={world.household.id}&view=month&date=2026-12-01"
    page, statements = await _page_read(client, session, engine, world, url)
    # Each entry on each of its days; the dinners of two days show twice.
    spans = len([day for day in range(entries // 4) if day % 7 == 0 and entries > 4 * day + 2])
    assert page.count('<li><span class="plan-month__slot">') == entries + spans
    assert "Address made" in page  # the calendar feed
    assert len(statements) == 3, statements
    identity, frame, days = statements
    assert "browser_sessions" in identity
    assert "UNION ALL" in frame.upper()
    assert "meal_plan_entries" in days


async def test_the_week_reads_its_templates_with_the_frame(
    client: httpx.AsyncClient,
    session: AsyncSession,
    engine: AsyncEngine,
    world: World,
    slots: dict[str, int],
) -> None:
    await _plan_month(session, world, slots, 40)
    url = f"/planner?household={world.household.id}&date=2026-12-07"
    page, statements = await _page_read(client, session, engine, world, url)
    # The templates in order of their names, the slots in theirs.
    assert page.index(">Autumn</option>") < page.index(">Busy week</option>")
    assert page.index('plan-slot__name">Breakfast') < page.index('plan-slot__name">Snack')
    assert len(statements) == 3, statements
