"""What a change to a list costs the database: the statements it runs, counted.

Every change holds the list's row (and on SQLite the only write lock) from its first statement
to the commit: a recipe that counted each food it brought in a statement of its own, and wrote
each new item in one more, kept every other writer waiting a statement per line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.planner import service as planner
from recipevault.planner.schemas import MealPlanEntryCreate
from recipevault.policy import Actor, Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from recipevault.shopping import additions, lines, service
from recipevault.shopping.models import ShoppingFood
from tests.support.database import statements_run
from tests.support.world import World, actor_for, make_world

UNITS = ["", " g", " cups", " tbsp"]
FOODS = [
    "flour",
    "eggs",
    "sugar",
    "milk",
    "butter",
    "onions",
    "garlic cloves",
    "carrots",
    "celery",
    "potatoes",
    "chicken thighs",
    "rice",
    "lemons",
    "parsley",
    "cream",
    "tomatoes",
    "basil",
    "olive oil",
    "pasta",
    "cheddar",
    "apples",
    "oats",
    "honey",
    "yogurt",
    "spinach",
    "mushrooms",
    "beef",
    "peppers",
    "limes",
    "coriander",
]

# Taking the list's number, the operation's id (a retry's answer), what was typed read against
# the foods vocabulary, the open item of its food and the next position together, the food
# counted (its aisle with it), the item, its part, the operation.
ADD_ITEM = 8
# Taking the list's number, the operation's id, the recipes' lines, the household's staples
# and aisles, the list's items of those foods, the additions, the new items, the items joined,
# the parts, the foods counted and the operation: however many lines and recipes. A recipe
# whose lines all start items, or all join items on the list, runs one fewer.
ADD_RECIPE = 11
# A plan adds reading the plan and which of its meals are on the list already.
ADD_PLAN = 13


def _statement(sql: str) -> bool:
    return not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))


async def _recipe(session: AsyncSession, world: World, actor: Actor, lines: int, n: int) -> int:
    created = await recipes.create_recipe(
        session,
        actor=actor,
        data=RecipeCreate(
            title=f"Dish {n}",
            visibility=Visibility.HOUSEHOLD,
            household_id=world.household.id,
            servings=Decimal(4),
            ingredients=[
                IngredientIn(
                    text=f"{number % 4 + 1}{UNITS[number % 4]} {FOODS[(number + n) % len(FOODS)]}"
                )
                for number in range(lines)
            ],
        ),
    )
    return int(created.id)


async def _count(
    session: AsyncSession, engine: AsyncEngine, change: Callable[[], Awaitable[object]]
) -> int:
    session.expunge_all()  # each change is a request of its own, in a session of its own
    with statements_run(engine, _statement) as statements:
        await change()
        await session.flush()  # the operation, as the request's commit writes it
    return len(statements)


async def test_adding_an_item_runs_a_fixed_number_of_statements(
    session: AsyncSession, settings: Settings, engine: AsyncEngine
) -> None:
    world = await make_world(session, settings)
    actor = await actor_for(session, world.member)
    made = await service.create_list(
        session, actor=actor, household_id=world.household.id, name="Weekly"
    )

    async def add(text: str, op_id: str, aisle: str | None = None) -> None:
        await service.add_item(
            session, actor=actor, list_id=made.id, text=text, note=None, aisle=aisle, op_id=op_id
        )

    counts = [
        await _count(session, engine, lambda: add("2 onions", "a")),  # a new item
        await _count(session, engine, lambda: add("1 onion", "b", "Produce")),  # joins it
        await _count(session, engine, lambda: add("milk", "c")),
    ]
    assert counts == [ADD_ITEM] * 3
    kept = (
        await session.execute(
            select(ShoppingFood.key, ShoppingFood.uses, ShoppingFood.aisle).order_by(
                ShoppingFood.key
            )
        )
    ).all()
    assert [tuple(row) for row in kept] == [("milk", 1, None), ("onion", 2, "Produce")]


async def test_a_recipe_or_a_week_goes_on_in_as_many_statements_however_long(
    session: AsyncSession, settings: Settings, engine: AsyncEngine
) -> None:
    world = await make_world(session, settings)
    actor = await actor_for(session, world.member)
    made = await service.create_list(
        session, actor=actor, household_id=world.household.id, name="Weekly"
    )
    short = await _recipe(session, world, actor, 3, 0)
    long = await _recipe(session, world, actor, 15, 1)
    await session.flush()

    def add_recipe(recipe_id: int, op_id: str) -> Callable[[], Awaitable[object]]:
        return lambda: additions.add_recipe(
            session,
            actor=actor,
            list_id=made.id,
            recipe_id=recipe_id,
            servings=None,
            include=(),
            op_id=op_id,
        )

    by_recipe = [
        await _count(session, engine, add_recipe(short, "short")),
        await _count(session, engine, add_recipe(long, "long")),  # new items and joined ones
        await _count(session, engine, add_recipe(long, "again")),  # every line joins
    ]
    assert by_recipe == [ADD_RECIPE - 1, ADD_RECIPE, ADD_RECIPE - 1]

    slots = await planner.list_meal_slots(session, actor=actor, household_id=world.household.id)
    monday = dt.date(2026, 12, 7)
    for day in range(7):
        for n, slot in enumerate(slots[:3]):
            await planner.add_plan_entry(
                session,
                actor=actor,
                data=MealPlanEntryCreate(
                    household_id=world.household.id,
                    date=monday + dt.timedelta(days=day),
                    slot_id=slot.id,
                    recipe_id=await _recipe(session, world, actor, 15, 10 + 3 * day + n),
                ),
            )
    await session.flush()

    def add_week(op_id: str) -> Callable[[], Awaitable[object]]:
        return lambda: additions.add_plan(
            session,
            actor=actor,
            list_id=made.id,
            start=monday,
            end_date=monday + dt.timedelta(days=6),
            op_id=op_id,
        )

    assert await _count(session, engine, add_week("week")) == ADD_PLAN
    # Every food is counted once for each line that brought it, under one row per food.
    uses = (await session.execute(select(func.sum(ShoppingFood.uses)))).scalar_one()
    assert uses == 3 + 15 + 15 + 7 * 3 * 15
    items = await lines.list_lines(session, made.id, "neutral", checked_shown=50)
    assert len(items) == len(FOODS)
    assert sum(len(line.sources) for line in items) == 3 + 15 + 15 + 7 * 3 * 15
