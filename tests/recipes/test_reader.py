"""Reads outside a session: the SQLite reader (``SqliteReader``) and, on PostgreSQL, a pooled
connection. Both must serve exactly what the session path serves, from committed data."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import event

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.policy import Visibility
from recipevault.recipes import documents, listing
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from tests.support.database import DatabaseFactory, migrate, own_database
from tests.support.world import actor_for, make_user, make_world


@pytest.fixture
async def file_database(settings: Settings, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file of its own, so that the app reads it through ``SqliteReader``."""
    url = f"sqlite+aiosqlite:///{tmp_path}/reader.db"
    await asyncio.to_thread(migrate, url)
    database = Database.from_settings(settings.model_copy(update={"database_url": url}))
    assert database.reader is not None
    try:
        yield database
    finally:
        await database.dispose()


@pytest.mark.sqlite_only
async def test_reader_serves_what_the_session_serves(
    settings: Settings, file_database: Database
) -> None:
    async with file_database.session() as session:
        user = await make_user(session, settings)
        actor = await actor_for(session, user)
        recipe = await recipes.create_recipe(
            session,
            actor=actor,
            data=RecipeCreate(
                title="Flatbread",
                visibility=Visibility.PUBLIC,
                ingredients=[IngredientIn(text="250 g flour")],
            ),
        )
        await session.commit()
    async with file_database.session(write=False) as session:
        via_session = await documents.stored_recipe(session, recipe.id)
        via_reader = await documents.stored_recipe(file_database, recipe.id)
        assert via_reader == via_session
        assert via_reader is not None
        assert orjson.loads(via_reader.body)["title"] == "Flatbread"
        without_reader = Database(file_database.bind, owns_engine=False)
        for q in (None, "flatbread"):
            filters = listing.RecipeFilters(q=q)
            pages = [
                await listing.list_recipes(
                    db, viewer=None, filters=filters, sort=None, limit=10, cursor=None
                )
                for db in (without_reader, file_database)
            ]
            assert pages[0] == pages[1]
            assert orjson.loads(pages[1])["items"][0]["title"] == "Flatbread"
        cooked = [
            await listing.cook_with(db, viewer=None, foods=["flour"], limit=5)
            for db in (without_reader, file_database)
        ]
        assert cooked[0] == cooked[1]
        assert orjson.loads(cooked[1])["items"][0]["coverage"] == 1.0
        assert await documents.stored_recipe(file_database, recipe.id + 1) is None


@pytest.mark.sqlite_only
async def test_reader_pages_match_the_session_for_every_viewer_and_filter(
    settings: Settings, file_database: Database
) -> None:
    """The reader runs its statements straight through the driver: viewers with households
    (lists of ids), later pages (a time in the cursor), and filters by tag and food."""
    async with file_database.session() as session:
        world = await make_world(session, settings)
        owner = await actor_for(session, world.owner)
        for n in range(7):
            await recipes.create_recipe(
                session,
                actor=owner,
                data=RecipeCreate(
                    title=f"Stew {n}",
                    visibility=(Visibility.PUBLIC, Visibility.HOUSEHOLD)[n % 2],
                    household_id=world.household.id,
                    tags=["winter"] if n % 3 else [],
                    ingredients=[IngredientIn(text="2 onions"), IngredientIn(text="1 leek")],
                ),
            )
        viewers = [None] + [await actor_for(session, user) for user in world.all().values()]
        await session.commit()
    without_reader = Database(file_database.bind, owns_engine=False)
    through_sqlalchemy: list[str] = []
    assert file_database.reader is not None
    event.listen(
        file_database.reader.engine,
        "before_cursor_execute",
        lambda *args: through_sqlalchemy.append(args[2]),
    )
    filter_sets = [
        listing.RecipeFilters(),
        listing.RecipeFilters(tags=["Winter"], foods=["onion"]),
        listing.RecipeFilters(exclude_foods=["leek"]),
    ]
    for viewer in viewers:
        for filters in filter_sets:
            cursor: str | None = None
            for _ in range(5):
                pages = [
                    await listing.list_recipes(
                        db, viewer=viewer, filters=filters, sort=None, limit=2, cursor=cursor
                    )
                    for db in (without_reader, file_database)
                ]
                assert pages[0] == pages[1]
                cursor = orjson.loads(pages[1])["next"]
                if cursor is None:
                    break
    assert through_sqlalchemy == []
    member = await listing.list_recipes(
        file_database, viewer=viewers[3], filters=filter_sets[1], sort=None, limit=20, cursor=None
    )
    assert len(orjson.loads(member)["items"]) == 4


@pytest.mark.postgres_only
async def test_sessionless_reads_on_postgresql_see_committed_data(
    settings: Settings, databases: DatabaseFactory
) -> None:
    """Without a reader (PostgreSQL), reads borrow a pooled connection instead of a session."""
    async with own_database(databases, settings, "reading") as database:
        assert database.reader is None
        async with database.session() as session:
            actor = await actor_for(session, await make_user(session, settings))
            recipe = await recipes.create_recipe(
                session,
                actor=actor,
                data=RecipeCreate(title="Flatbread", visibility=Visibility.PUBLIC),
            )
            await session.commit()
        stored = await documents.stored_recipe(database, recipe.id)
        assert stored is not None
        assert orjson.loads(stored.body)["title"] == "Flatbread"
        assert await documents.stored_recipe(database, recipe.id + 1) is None
        page = await listing.list_recipes(
            database, viewer=None, filters=listing.RecipeFilters(), sort=None, limit=5, cursor=None
        )
        assert [item["title"] for item in orjson.loads(page)["items"]] == ["Flatbread"]
