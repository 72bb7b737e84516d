"""The cook-with index: its bounds, and the early-stopping ranking built on them, which must
give exactly the ranking of counting every recipe's foods."""

from __future__ import annotations

import random
from contextlib import AbstractContextManager
from typing import Any

import orjson
import pytest
from sqlalchemy import delete, event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.policy import Actor, Visibility, unscoped
from recipevault.recipes import listing, recipe_rows, service
from recipevault.recipes.models import Food, Recipe
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from recipevault.recipes.search import on_hand
from tests.support.database import DatabaseFactory, own_database, plans_made, statements_run
from tests.support.migrations import load_migration
from tests.support.world import actor_for, make_world

FOODS = ("salt", "flour", "egg", "milk", "butter", "sugar", "basil", "lemon", "saffron", "quince")


def _recipe(title: str, foods: list[str], **fields: Any) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        ingredients=[IngredientIn(food=food) for food in foods],
        **fields,
    )


def test_each_food_bounds_the_share_from_it_to_the_end_of_the_rarest_first_order() -> None:
    uses = {1: 500, 2: 3, 3: 40, 4: 40}
    rows = on_hand._rows(7, [1, 2, 3, 4], uses)
    # Rarest first: 2 (3 uses), then 3 and 4 (40 each, lower id first), then 1 (500).
    assert [(row["food_id"], row["bound"]) for row in rows] == [
        (2, 1.0),
        (3, 0.75),
        (4, 0.5),
        (1, 0.25),
    ]
    assert {row["recipe_id"] for row in rows} == {7}


def _ranking(limit: int, *matches: tuple[int, int, int]) -> on_hand.Ranking:
    ranking = on_hand.Ranking(limit)
    ranking.add(matches)
    return ranking


def test_the_ranking_stops_once_the_top_covers_the_bound_read_down_to() -> None:
    # Two full matches, limit 2: nothing unread can beat them.
    assert _ranking(2, (1, 3, 3), (2, 2, 2)).next_level(1.0) is None
    assert [m.recipe_id for m in _ranking(2, (1, 2, 2), (2, 3, 3)).top] == [2, 1]
    # Not full yet: the next level down.
    assert _ranking(3, (1, 3, 3)).next_level(1.0) == pytest.approx(2 / 3)
    # Full, but the last covers 0.8: reading down to 0.8 is enough, and it is above 2/3.
    assert _ranking(2, (1, 3, 3), (2, 4, 5)).next_level(1.0) == pytest.approx(0.8)
    # Full, last covers 0.25: the next level (2/3) first.
    assert _ranking(2, (1, 3, 3), (2, 1, 4)).next_level(1.0) == pytest.approx(2 / 3)
    # Everything read: done, however few were found.
    assert _ranking(5).next_level(0.0) is None
    assert _ranking(5, (1, 1, 9)).next_level(0.0) is None


def _exact(recipes: dict[int, set[str]], have: set[str], limit: int) -> list[tuple[int, int, int]]:
    """Count every recipe's foods: the ranking cook-with must reproduce."""
    found = [
        (recipe_id, len(foods & have), len(foods))
        for recipe_id, foods in recipes.items()
        if foods & have
    ]
    found.sort(key=lambda m: (-m[1] / m[2], -m[1], m[0]))
    return found[:limit]


async def _cook_with(database: Database, foods: list[str], limit: int) -> list[dict[str, Any]]:
    body = await listing.cook_with(database, viewer=None, foods=foods, limit=limit)
    return list(orjson.loads(body)["items"])


async def test_the_early_stopping_ranking_equals_counting_every_recipe(
    session: AsyncSession, settings: Settings, database: Database
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    shuffle = random.Random(20261122)  # noqa: S311 - seeded test data, not secrets
    # Skewed like real recipes: salt and flour in most, saffron and quince in few.
    weights = (40, 30, 20, 15, 15, 12, 6, 5, 2, 1)
    made: list[set[str]] = []
    for _ in range(80):
        size = shuffle.randint(1, 6)
        foods: set[str] = set()
        while len(foods) < size:
            foods.add(shuffle.choices(FOODS, weights)[0])
        made.append(foods)
    ids = await service.create_recipes(
        session,
        actor=owner,
        household_id=world.household.id,
        recipes=[_recipe(f"Dish {n}", sorted(foods)) for n, foods in enumerate(made)],
    )
    # A private recipe covered in full stays out for visitors.
    await service.create_recipe(
        session, actor=owner, data=_recipe("Hidden", ["salt"], visibility=Visibility.PRIVATE)
    )
    await session.flush()
    recipes = dict(zip(ids, made, strict=True))

    for _ in range(40):
        have = set(shuffle.sample(FOODS, shuffle.randint(1, 5)))
        for limit in (1, 3, 10, 100):
            items = await _cook_with(database, sorted(have), limit)
            got = [(item["id"], item["have"], item["need"]) for item in items]
            assert got == _exact(recipes, have, limit), (sorted(have), limit)
            assert all(item["coverage"] == round(item["have"] / item["need"], 4) for item in items)


def _index_reads(engine: AsyncEngine) -> AbstractContextManager[list[str]]:
    """The statements run meanwhile that read the cook-with index."""
    return statements_run(engine, lambda statement: on_hand.TABLE in statement)


async def test_reads_stop_at_the_first_level_when_enough_recipes_are_covered(
    session: AsyncSession, settings: Settings, database: Database, engine: AsyncEngine
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    for n in range(3):
        await service.create_recipe(session, actor=owner, data=_recipe(f"Toast {n}", ["bread"]))
    for n in range(30):
        await service.create_recipe(
            session, actor=owner, data=_recipe(f"Sandwich {n}", ["bread", "cheese", "ham"])
        )
    await session.flush()
    with _index_reads(engine) as reads:
        items = await _cook_with(database, ["bread"], 3)
    assert [item["title"] for item in items] == ["Toast 0", "Toast 1", "Toast 2"]
    # One read of the index, of the bounds that reach 1 (bread is each toast's only food): the
    # thirty sandwiches, where bread is the commonest food and so bounds only 1/3, are never
    # read.
    assert len(reads) == 1


async def test_foods_no_recipe_names_find_nothing_without_reading_the_index(
    session: AsyncSession, settings: Settings, database: Database, engine: AsyncEngine
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    await service.create_recipe(session, actor=owner, data=_recipe("Toast", ["bread"]))
    await session.flush()
    with _index_reads(engine) as reads:
        assert await _cook_with(database, ["unobtainium", "moon dust"], 20) == []
    assert reads == []


@pytest.mark.sqlite_only
async def test_sqlite_reads_a_range_of_bounds_from_the_index_alone(session: AsyncSession) -> None:
    """Every column a range's read takes from the postings it walks is in their index, so
    reading a range never visits the table (a third of the time at 100,000 recipes)."""
    connection = (await session.connection()).sync_connection
    assert connection is not None

    def explain(*args: Any) -> tuple[str, Any]:
        return f"EXPLAIN QUERY PLAN {args[2]}", args[3]

    parameters = {"foods": [1, 2], "on_hand_count": 2.0, "limit": 20, "low": 0.5, "high": 1.0}
    event.listen(connection, "before_cursor_execute", explain, retval=True)
    try:
        plan = [row[3] for row in await session.execute(on_hand.level_statement([]), parameters)]
    finally:
        event.remove(connection, "before_cursor_execute", explain)
    walked = [step.split(" (")[0] for step in plan if step.startswith("SEARCH entry ")]
    assert walked == ["SEARCH entry USING COVERING INDEX recipe_search_foods_bound"], plan


@pytest.mark.postgres_only
async def test_postgresql_keeps_one_plan_for_reading_the_index(
    settings: Settings, databases: DatabaseFactory
) -> None:
    """The plan made for a range's values reads every posting of a common food; the one kept
    for the statement reads the range's postings alone (see ``search.on_hand.level_statement``).
    (A database of its own, so that the statement is new to the connection.)"""
    async with own_database(databases, settings, "cook_with_plan") as database:
        async with database.session() as session:
            world = await make_world(session, settings)
            owner = await actor_for(session, world.owner)
            for n, foods in enumerate((["salt", "flour"], ["egg", "milk"], ["salt", "egg"])):
                await service.create_recipe(session, actor=owner, data=_recipe(f"Dish {n}", foods))
            await session.commit()
        for _ in range(3):
            for foods in (["salt", "flour"], ["egg", "milk"], ["milk", "salt"]):
                assert len(await _cook_with(database, foods, 20)) >= 1
        plans = await plans_made(database, "SELECT recipes.id, count(*) AS have%")
        (generic, custom), *others = plans
        # Nine searches read one or more ranges each, all with the plan made at the first.
        assert (others, custom) == ([], 0)
        assert generic >= 9


async def _bounds(session: AsyncSession, recipe_id: int) -> dict[str, float]:
    rows = await session.execute(
        select(Food.name, on_hand.postings.c.bound)
        .join(on_hand.postings, on_hand.postings.c.food_id == Food.id)
        .where(on_hand.postings.c.recipe_id == recipe_id)
    )
    return {str(name): float(bound) for name, bound in rows}


async def test_writes_keep_the_index_in_step(session: AsyncSession, settings: Settings) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    for n in range(3):
        await service.create_recipe(session, actor=owner, data=_recipe(f"Salted {n}", ["salt"]))
    dish = await service.create_recipe(
        session, actor=owner, data=_recipe("Dish", ["salt", "quince", "quince paste"])
    )
    await session.flush()
    assert await _bounds(session, dish.id) == {
        "quince": 1.0,
        "quince paste": pytest.approx(2 / 3),
        "salt": pytest.approx(1 / 3),
    }
    await service.trash_recipe(session, actor=owner, recipe_id=dish.id, if_match=None, ip=None)
    await session.flush()
    assert await _bounds(session, dish.id) == {}


def _backfill_sql() -> str:
    """The migration's own statement, which fills the index of an existing database."""
    return str(load_migration("b7e1c2d9a4f3")._BACKFILL)


async def _postings(session: AsyncSession) -> set[tuple[int, int, float]]:
    table = on_hand.postings.c
    rows = await session.execute(select(table.recipe_id, table.food_id, table.bound))
    return {(recipe_id, food_id, bound) for recipe_id, food_id, bound in rows}


async def _random_dishes(
    session: AsyncSession, settings: Settings, *, seed: int, count: int
) -> Actor:
    """``count`` public recipes of 1-6 foods each, drawn with ``seed``; their owner."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    shuffle = random.Random(seed)  # noqa: S311 - seeded test data, not secrets
    for n in range(count):
        foods = shuffle.sample(FOODS, shuffle.randint(1, 6))
        await service.create_recipe(session, actor=owner, data=_recipe(f"Dish {n}", foods))
    return owner


async def test_the_migration_fills_the_index_as_indexing_all_recipes_at_once_does(
    session: AsyncSession, settings: Settings
) -> None:
    owner = await _random_dishes(session, settings, seed=7, count=25)
    trashed = await service.create_recipe(session, actor=owner, data=_recipe("Gone", ["salt"]))
    await service.trash_recipe(session, actor=owner, recipe_id=trashed.id, if_match=None, ip=None)
    await session.flush()
    # Every recipe, as the migration sees them (the scoping a request would add left off).
    every = select(Recipe).where(Recipe.deleted_at.is_(None))
    live = (await session.scalars(unscoped(every))).all()
    await recipe_rows.load_parts(session, live, ["ingredients"])
    assert len(live) == 25

    await session.execute(delete(on_hand.postings))
    await on_hand.index_recipes(session, live)
    indexed = await _postings(session)
    await session.execute(delete(on_hand.postings))
    await session.execute(text(_backfill_sql()))
    assert await _postings(session) == indexed
    assert trashed.id not in {recipe_id for recipe_id, _, _ in indexed}
    assert len(indexed) == sum(len({line.food_id for line in r.ingredients}) for r in live)


async def test_the_need_migration_fills_what_indexing_writes(
    session: AsyncSession, settings: Settings
) -> None:
    await _random_dishes(session, settings, seed=11, count=15)
    await session.flush()
    indexed = set((await session.execute(select(on_hand.postings))).all())
    assert {row.need for row in indexed} != {1}
    # Postings as the earlier migration wrote them: every need at the column's default.
    await session.execute(on_hand.postings.update().values(need=1))
    await session.execute(text(str(load_migration("d4e9b2a7c1f5")._BACKFILL)))
    assert set((await session.execute(select(on_hand.postings))).all()) == indexed


async def test_a_recipe_is_read_where_the_foods_on_hand_can_cover_it(
    session: AsyncSession, settings: Settings
) -> None:
    """Saffron is the rarest food of both recipes, so its bound is 1 in each; one food on hand
    covers at most 1/12 of the stew, which is read in the range that holds 1/12."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    others = ["salt", "flour", "egg", "milk", "butter", "sugar", "basil", "lemon", "quince"]
    others += ["onion", "garlic"]
    stew = await service.create_recipe(
        session, actor=owner, data=_recipe("Stew", ["saffron", *others])
    )
    rice = await service.create_recipe(session, actor=owner, data=_recipe("Rice", ["saffron"]))
    await session.flush()
    saffron = await session.scalar(select(Food.id).where(Food.name == "saffron"))
    await session.execute(delete(on_hand.postings).where(on_hand.postings.c.food_id == saffron))
    await session.execute(
        on_hand.postings.insert(),
        [
            {"recipe_id": stew.id, "food_id": saffron, "bound": 1.0, "need": 12},
            {"recipe_id": rice.id, "food_id": saffron, "bound": 1.0, "need": 1},
        ],
    )
    statement = on_hand.level_statement([])
    parameters = {"foods": [saffron], "on_hand_count": 1.0, "limit": 20}

    async def read(low: float, high: float) -> list[tuple[int, int, int]]:
        bounds = {"low": low, "high": high}
        return [tuple(row) for row in await session.execute(statement, parameters | bounds)]

    assert await read(1.0, 2.0) == [(rice.id, 1, 1)]
    assert await read(1 / 5, 1.0) == []
    assert await read(0.0, 1 / 5) == [(stew.id, 1, 12)]
