"""Sessionless reads on PostgreSQL (``PostgresReader``): prepared statements on connections of
their own, with exactly the rows, values and errors SQLAlchemy gives for the same statements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import (
    Executable,
    Float,
    Numeric,
    bindparam,
    cast,
    event,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.db.contention import is_busy
from recipevault.policy import Visibility
from recipevault.recipes import documents
from recipevault.recipes import service as recipes
from recipevault.recipes.models import Recipe
from recipevault.recipes.page_reads import readable_document
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from tests.support.database import DatabaseFactory, own_database, plans_made
from tests.support.world import actor_for, make_world

pytestmark = pytest.mark.postgres_only

_recipes = Recipe.__table__


@pytest.fixture
async def database(settings: Settings, databases: DatabaseFactory) -> AsyncIterator[Database]:
    """A migrated database opened as the app opens one, with a few committed recipes."""
    async with own_database(databases, settings, "postgres_reader") as database:
        assert database.postgres_reader is not None
        async with database.session() as session:
            world = await make_world(session, settings)
            owner = await actor_for(session, world.owner)
            for n, visibility in enumerate(Visibility):
                await recipes.create_recipe(
                    session,
                    actor=owner,
                    data=RecipeCreate(
                        title=f"Soup {n}",
                        visibility=visibility,
                        household_id=world.household.id,
                        ingredients=[IngredientIn(text="2 leeks")],
                    ),
                )
            gone = await recipes.create_recipe(
                session, actor=owner, data=RecipeCreate(title="Gone", visibility=Visibility.PUBLIC)
            )
            await recipes.trash_recipe(
                session, actor=owner, recipe_id=gone.id, if_match=None, ip=None
            )
            await session.commit()
        yield database


async def _through_sqlalchemy(
    database: Database, statement: Executable, parameters: dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    async with database.reading() as connection:
        return [tuple(row) for row in await connection.execute(statement, parameters)]


async def _ids(database: Database) -> list[int]:
    return [row[0] for row in await _through_sqlalchemy(database, select(_recipes.c.id))]


async def test_reads_skip_sqlalchemy_and_return_what_it_returns(database: Database) -> None:
    """Every kind of statement the read API is given (one row, ``IN`` lists, an empty one,
    values SQLAlchemy converts on the way out: enums, UTC datetimes) gives the same rows and
    values through the reader as through SQLAlchemy, without SQLAlchemy running any."""
    ids = await _ids(database)
    reads: list[tuple[Executable, dict[str, Any] | None]] = [
        *((documents.READ_ONE, {"recipe_id": rid}) for rid in [*ids, max(ids) + 1]),
        (documents.SUMMARIES, {"ids": ids}),
        (documents.SUMMARIES, {"ids": ids[:1]}),
        (documents.SUMMARIES, {"ids": []}),
        (
            select(_recipes.c.id, _recipes.c.visibility, _recipes.c.created_at)
            .where(_recipes.c.title.like(bindparam("title")))
            .order_by(_recipes.c.id),
            {"title": "Soup%"},
        ),
        (select(literal(2) * bindparam("n"), func.upper(literal("a"))), {"n": 21}),
    ]
    expected = [await _through_sqlalchemy(database, *read) for read in reads]
    ran: list[str] = []
    event.listen(database.bind.sync_engine, "before_cursor_execute", lambda *a: ran.append(a[2]))
    got = [[tuple(row) for row in await database.rows(*read)] for read in reads]
    firsts = [await database.first(*read) for read in reads]
    assert ran == []
    assert got == expected
    assert [None if row is None else tuple(row) for row in firsts] == [
        rows[0] if rows else None for rows in expected
    ]
    visibilities = {row[1] for row in got[-2]}
    assert visibilities == set(Visibility)
    assert all(row[2].tzinfo is not None for row in got[-2])


async def test_numbers_are_read_back_by_the_type_the_server_gives(database: Database) -> None:
    """SQLAlchemy reads a number back by what the server says it is (a numeric read as a
    float, a float as a decimal): the reader asks the server once per statement, and gives the
    same values (a meal plan's servings, read as floats for JSON)."""
    amount = cast(literal(2.5), Numeric(10, 3))
    statement = select(
        _recipes.c.id,
        amount,
        type_coerce(amount, Float),
        cast(literal(0.5), Float),
        type_coerce(cast(literal(0.5), Float), Numeric(10, 3)),
    ).where(_recipes.c.id.in_(bindparam("ids", expanding=True)))
    ids = await _ids(database)
    expected = await _through_sqlalchemy(database, statement, {"ids": ids})
    for _ in range(2):
        got = [tuple(row) for row in await database.rows(statement, {"ids": ids})]
        assert got == expected
        assert [type(value) for value in got[0][1:]] == [Decimal, float, float, Decimal]
    first = await database.first(statement, {"ids": ids[:1]})
    assert first is not None
    assert tuple(first) == expected[0]


async def test_a_statement_is_prepared_once_per_connection(database: Database) -> None:
    """Reads one after another share one connection, on which each statement is parsed once
    and then only executed: PostgreSQL counts every run of that one prepared statement."""
    ids = await _ids(database)
    for rid in ids:
        assert await documents.stored_recipe(database, rid) is not None or rid == max(ids)
    plans = await plans_made(database, "SELECT recipes.id, recipes.owner_id, %")
    assert len(plans) == 1
    assert sum(plans[0]) == len(ids)


async def test_reads_planned_once_keep_one_plan_and_leave_the_setting_behind(
    database: Database,
) -> None:
    statement = select(func.count()).where(_recipes.c.title == bindparam("title"))
    titles = ["Soup 0", "Soup 1", "Gone", "none", "Soup 2", "Soup 0", "x"]
    async with database.reads(plan_once=True) as read:
        for title in titles:
            await read.rows(statement, {"title": title})
        plans = await plans_made(read, "SELECT count(*) AS count_1 %")
        assert plans == [(len(titles), 0)]
    assert await database.first(select(func.current_setting("plan_cache_mode"))) == ("auto",)


async def test_a_connection_that_broke_in_the_pool_is_replaced(database: Database) -> None:
    """What the engine's pre-ping is for: a pooled connection the server closed meanwhile
    (a restart, an idle timeout) costs the next read nothing but a new connection."""
    backend = select(func.pg_backend_pid())
    first = await database.first(backend)
    assert first is not None
    async with database.reading() as connection:
        await connection.execute(select(func.pg_terminate_backend(first[0])))
    again = await database.first(backend)
    assert again is not None
    assert again[0] != first[0]
    page = {"ids": await _ids(database)}
    expected = await _through_sqlalchemy(database, documents.SUMMARIES, page)
    assert [tuple(row) for row in await database.rows(documents.SUMMARIES, page)] == expected


async def test_a_pool_with_no_connection_free_says_the_database_is_busy(
    settings: Settings, databases: DatabaseFactory
) -> None:
    small = settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout": 0.2})
    async with own_database(databases, small, "postgres_reader_small") as database:
        async with database.reads() as read:
            assert await read.first(select(literal(1))) == (1,)
            with pytest.raises(PoolTimeout) as raised:
                await database.first(select(literal(2)))
        assert is_busy(raised.value)
        assert await database.first(select(literal(3))) == (3,)


async def test_errors_are_raised_as_sqlalchemy_raises_them(database: Database) -> None:
    statement = select(func.sqrt(literal(-1.0)))
    with pytest.raises(DBAPIError) as through_sqlalchemy:
        await _through_sqlalchemy(database, statement)
    with pytest.raises(DBAPIError) as through_reader:
        await database.first(statement)
    assert type(through_reader.value) is type(through_sqlalchemy.value)
    assert through_reader.value.orig is not None
    assert getattr(through_reader.value.orig, "sqlstate", None) == "2201F"
    # The connection is as good as before.
    assert await database.first(select(literal(1))) == (1,)


async def test_the_recipe_page_reads_what_is_committed(database: Database) -> None:
    """The page's read (the stored recipe by slug) through the reader sees what is committed."""
    public = select(_recipes.c.id, _recipes.c.slug).where(
        _recipes.c.visibility == Visibility.PUBLIC, _recipes.c.deleted_at.is_(None)
    )
    ((recipe_id, slug),) = await _through_sqlalchemy(database, public)
    stored = await readable_document(database, viewer=None, slug=slug)
    async with database.session(write=False) as session:
        assert stored == await documents.stored_recipe(session, recipe_id)
