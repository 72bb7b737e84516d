"""The search window: a second full-text index of the newest recipes, kept so that the newest
matches of a common word are found and ranked without reading the whole index."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.policy import Actor, Visibility
from recipevault.recipes import listing, search, service
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, RecipeUpdate, StepIn
from tests.support.database import plans_made
from tests.support.migrations import load_migration
from tests.support.world import actor_for, bearer, make_world

BASE = "/api/v1/recipes"


def _recipe(title: str, **fields: Any) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        ingredients=[IngredientIn(text="1 onion")],
        steps=[StepIn(text="Cook it.")],
        **fields,
    )


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A window of at least 4 ids whose floor moves 2 at a time, and 2 matches ranked."""
    monkeypatch.setattr(search, "RECENT", 4)
    monkeypatch.setattr(search, "RECENT_STEP", 2)
    monkeypatch.setattr(search, "CANDIDATES", 2)


def _key(session: AsyncSession) -> str:
    return "recipe_id" if session.get_bind().dialect.name == "postgresql" else "rowid"


async def _ids(session: AsyncSession, index: str) -> set[int]:
    rows = await session.execute(text(f"SELECT {_key(session)} FROM {index}"))  # noqa: S608
    return set(rows.scalars())


async def _floor(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT floor FROM recipe_search_floor"))).scalar_one())


async def _assert_window_exact(session: AsyncSession) -> int:
    """The window holds every indexed recipe from the floor up, and nothing else."""
    await session.flush()
    floor = await _floor(session)
    everything = await _ids(session, "recipe_search")
    assert await _ids(session, search.RECENT_TABLE) == {i for i in everything if i >= floor}
    return floor


def test_the_floor_keeps_at_least_the_window_and_moves_in_steps() -> None:
    assert search.window_floor(0) == 0
    assert search.window_floor(search.RECENT) == 0
    assert search.window_floor(search.RECENT + search.RECENT_STEP - 1) == 0
    assert search.window_floor(search.RECENT + search.RECENT_STEP) == search.RECENT_STEP
    assert search.window_floor(100_000) == 90_000
    assert search.window_floor(100_999) == 90_000


async def test_writes_keep_the_window_exact_and_its_floor_never_drops(
    session: AsyncSession, settings: Settings, small_window: None
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    made = [
        await service.create_recipe(session, actor=owner, data=_recipe(f"Dish {n}"))
        for n in range(9)
    ]
    floor = await _assert_window_exact(session)
    newest = made[-1].id
    assert floor == search.window_floor(newest)
    assert floor > made[0].id
    assert len(await _ids(session, search.RECENT_TABLE)) >= search.RECENT

    # Trashing the newest leaves the floor where it is, so nothing below it comes back unseen.
    await service.trash_recipe(session, actor=owner, recipe_id=newest, if_match=None, ip=None)
    assert await _assert_window_exact(session) == floor
    assert newest not in await _ids(session, search.RECENT_TABLE)
    # An old recipe edited stays out of the window; a restored one comes back into it.
    await _rename(session, owner, made[0].id, "Dish zero")
    await service.restore_from_trash(session, actor=owner, recipe_id=newest)
    assert await _assert_window_exact(session) == floor
    assert made[0].id not in await _ids(session, search.RECENT_TABLE)
    assert newest in await _ids(session, search.RECENT_TABLE)


async def _window_pages(session: AsyncSession) -> list[tuple[int, bytes]]:
    rows = await session.execute(text(f"SELECT id, block FROM {search.RECENT_TABLE}_data"))  # noqa: S608
    return sorted((int(row[0]), bytes(row[1])) for row in rows)


@pytest.mark.sqlite_only
async def test_the_window_is_compact_after_its_floor_moves(
    session: AsyncSession, settings: Settings, small_window: None
) -> None:
    """FTS5 keeps deleted rows' entries until a merge reaches them; the window drops rows each
    time its floor moves, and is rewritten compact then: compacting it again changes nothing."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    moves = 0
    for number in range(20):
        floor = await _floor(session)
        await service.create_recipe(session, actor=owner, data=_recipe(f"Onion dish {number}"))
        await session.flush()
        moves += await _floor(session) > floor
        if moves == 3:  # the last create moved it, after dropping rows twice before
            break
    else:
        pytest.fail("the floor did not move three times")
    compacted = await _window_pages(session)
    await session.execute(text(search.COMPACT_WINDOW))
    assert await _window_pages(session) == compacted
    await _assert_window_exact(session)


@pytest.mark.sqlite_only
async def test_the_compaction_migration_leaves_the_window_compact(
    session: AsyncSession, settings: Settings
) -> None:
    """A window whose floor moved before it was compacted on each move holds the entries of
    the rows it dropped, as recipes edited in it do: the migration rewrites it compact once."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    made = await service.create_recipe(session, actor=owner, data=_recipe("Onion dish"))
    for number in range(12):
        await _rename(session, owner, made.id, f"Onion dish {number}")
    await session.flush()
    bloated = await _window_pages(session)
    await session.execute(text(load_migration("e5a0c3f8b2d7").COMPACT))
    compacted = await _window_pages(session)
    assert len(compacted) < len(bloated)
    await session.execute(text(search.COMPACT_WINDOW))
    assert await _window_pages(session) == compacted
    await _assert_window_exact(session)


async def _rename(session: AsyncSession, actor: Actor, recipe_id: int, title: str) -> None:
    await service.update_recipe(
        session,
        actor=actor,
        recipe_id=recipe_id,
        data=RecipeUpdate(title=title),
        partial=True,
        if_match=None,
    )


async def _titles(client: httpx.AsyncClient, q: str, **headers: str) -> list[str]:
    response = await client.get(BASE, params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


async def test_the_newest_matches_come_from_the_window_or_else_from_every_recipe(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, small_window: None
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    titles = [
        "Quince jelly",  # old, below the floor
        "Quince paste",  # old
        "Old soup",
        "Barley soup",
        "Filler one",
        "Filler two",
        "Quince soup",  # in the window: the only quince there
        "Leek soup",
        "Secret soup",  # private, the newest soup
        "Pea soup",
    ]
    for title in titles:
        visibility = Visibility.PRIVATE if title.startswith("Secret") else Visibility.PUBLIC
        await service.create_recipe(
            session, actor=owner, data=_recipe(title, visibility=visibility)
        )
    await _assert_window_exact(session)
    in_window = {
        row[0]
        for row in await session.execute(
            text(f"SELECT title FROM recipes WHERE id >= {await _floor(session)}")  # noqa: S608
        )
    }
    assert "Quince soup" in in_window
    assert "Quince paste" not in in_window

    # Enough soups in the window: the two newest the visitor may see.
    assert set(await _titles(client, "soup")) == {"Pea soup", "Leek soup"}
    owner_headers = bearer(world.owner, settings, session)
    assert set(await _titles(client, "soup", **owner_headers)) == {"Pea soup", "Secret soup"}
    # One quince in the window, two wanted: every recipe is searched.
    assert set(await _titles(client, "quince")) == {"Quince soup", "Quince paste"}
    # Only below the floor.
    assert await _titles(client, "jelly") == ["Quince jelly"]
    # The window's own words, as typed.
    assert await _titles(client, "fille") == ["Filler two", "Filler one"] or set(
        await _titles(client, "fille")
    ) == {"Filler one", "Filler two"}


def _probes(plan: dict[str, Any], found: dict[str, int]) -> dict[str, int]:
    """Count, per table, the probe scans of an EXPLAIN (ANALYZE, FORMAT JSON) plan that ran."""
    if "probe" in plan.get("Alias", ""):
        table = plan["Relation Name"]
        found[table] = found.get(table, 0) + (plan["Actual Loops"] > 0)
    for child in plan.get("Plans", []):
        _probes(child, found)
    return found


@pytest.mark.postgres_only
async def test_postgresql_asks_the_whole_index_only_when_the_window_has_no_match(
    session: AsyncSession, settings: Settings, small_window: None
) -> None:
    """A GIN index builds a bitmap of every match before testing one, so whether the words
    match at all is asked of the window first, and once per search: every lookup, and the
    choice to look for close titles, reads the answer."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    titles = ["Quince jelly", "Filler one", "Filler two", "Filler three", "Old soup"]
    for title in [*titles, "Barley soup", "Leek soup", "Pea soup"]:
        await service.create_recipe(session, actor=owner, data=_recipe(title))
    floor = await _assert_window_exact(session)
    jelly = "SELECT id FROM recipes WHERE title = 'Quince jelly'"
    assert (await session.execute(text(jelly))).scalar_one() < floor
    statement = listing._list_statement(
        listing._Shape(viewer="visitor"), "relevance", "postgresql", False
    )
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)

    async def probes(q: str) -> dict[str, int]:
        values = compiled.construct_params(
            search.match_parameters("postgresql", q) | {"page_size": 21}
        )
        explained = await connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}",
            tuple(values[name] for name in compiled.positiontup or ()),
        )
        return _probes(explained.scalar_one()[0]["Plan"], {})

    assert await probes("soup") == {"recipe_search_recent": 1, "recipe_search": 0}
    assert await probes("jelly") == {"recipe_search_recent": 1, "recipe_search": 1}


@pytest.mark.postgres_only
async def test_postgresql_plans_a_search_once_per_connection(settings: Settings) -> None:
    """Planning the search statement takes milliseconds, and its plan is built not to depend on
    the words: whatever they are, every run on a connection uses the plan made at the first.
    (A database of its own, so that the statement is new to the connection.)"""
    database = Database.from_settings(settings)
    words = ["soup", "jelly", "quince soup", "leek", "pea", "nothing here", "sou", "jely"]
    try:
        for q in words:
            page = await listing.list_recipes(
                database,
                viewer=None,
                filters=listing.RecipeFilters(q=q),
                sort=None,
                limit=20,
                cursor=None,
            )
            assert orjson.loads(page) == {"items": [], "next": None}
        async with database.reading() as connection:
            plans = await plans_made(connection, "WITH search_query AS%")
            assert plans == [(len(words), 0)]
    finally:
        await database.dispose()


def _migration() -> ModuleType:
    return load_migration("c3d8a1f0b6e2")


@pytest.mark.parametrize("newest", [0, 1, 9_999, 10_000, 10_999, 11_000, 54_321, 100_000])
async def test_the_migration_places_the_floor_where_indexing_does(
    session: AsyncSession, newest: int
) -> None:
    floor = _migration().FLOOR
    placed = await session.execute(text(f"SELECT {floor} FROM (SELECT {newest} AS n) AS m"))  # noqa: S608
    assert placed.scalar_one() == search.window_floor(newest)


async def test_the_migration_fills_the_window_as_indexing_does(
    session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    for n in range(5):
        await service.create_recipe(session, actor=owner, data=_recipe(f"Dish {n}"))
    indexed = await _assert_window_exact(session)
    window = await _ids(session, search.RECENT_TABLE)

    await session.execute(text(f"DELETE FROM {search.RECENT_TABLE}"))  # noqa: S608
    await session.execute(text("UPDATE recipe_search_floor SET floor = 0"))
    for statement in _migration().backfill(session.get_bind().dialect.name):
        await session.execute(text(statement))
    assert await _floor(session) == indexed
    assert await _ids(session, search.RECENT_TABLE) == window
