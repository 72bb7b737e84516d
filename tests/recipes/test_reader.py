"""Reads outside a session: the SQLite reader (``SqliteReader``) and, on PostgreSQL, a pooled
connection. Both must serve exactly what the session path serves, from committed data."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.policy import Visibility
from recipevault.recipes import documents, listing
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from tests.support.database import DatabaseFactory, migrate, own_database
from tests.support.world import actor_for, make_user


@pytest.mark.sqlite_only
async def test_reader_serves_what_the_session_serves(
    settings: Settings, tmp_path: Path, backend: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/reader.db"
    await asyncio.to_thread(migrate, url)
    database = Database.from_settings(settings.model_copy(update={"database_url": url}))
    assert database.reader is not None
    try:
        async with database.session() as session:
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
        async with database.session(write=False) as session:
            via_session = await documents.fetch_document(session, recipe_id=recipe.id)
            via_reader = await documents.fetch_document(
                session, recipe_id=recipe.id, reader=database.reader
            )
            assert via_reader == via_session
            assert via_reader is not None
            assert orjson.loads(via_reader.body)["title"] == "Flatbread"
            without_reader = Database(database.bind, owns_engine=False)
            for q in (None, "flatbread"):
                filters = listing.RecipeFilters(q=q)
                pages = [
                    await listing.list_recipes(
                        db, viewer=None, filters=filters, sort=None, limit=10, cursor=None
                    )
                    for db in (without_reader, database)
                ]
                assert pages[0] == pages[1]
                assert orjson.loads(pages[1])["items"][0]["title"] == "Flatbread"
            cooked = [
                await listing.cook_with(db, viewer=None, foods=["flour"], limit=5)
                for db in (without_reader, database)
            ]
            assert cooked[0] == cooked[1]
            assert orjson.loads(cooked[1])["items"][0]["coverage"] == 1.0
            assert (
                await documents.fetch_document(
                    session, recipe_id=recipe.id + 1, reader=database.reader
                )
                is None
            )
    finally:
        await database.dispose()


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
        stored = await documents.read_document(database, recipe_id=recipe.id)
        assert stored is not None
        assert orjson.loads(stored.body)["title"] == "Flatbread"
        assert await documents.read_document(database, recipe_id=recipe.id + 1) is None
        page = await listing.list_recipes(
            database, viewer=None, filters=listing.RecipeFilters(), sort=None, limit=5, cursor=None
        )
        assert [item["title"] for item in orjson.loads(page)["items"]] == ["Flatbread"]
