"""What a recipe write costs the database: the statements each kind runs, bounded.

Each statement runs inside the write transaction, which on SQLite holds the only write lock:
a write that loads the recipe twice and rebuilds its rows, document and search entry from
scratch keeps every other writer waiting. The bounds leave room for a statement or two
more, not for a write that reloads or rewrites what it did not change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.policy import Visibility
from recipevault.recipes import documents, service
from recipevault.recipes.models import RecipeDocument
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, RecipeUpdate, StepIn
from tests.support.database import statements_run
from tests.support.world import actor_for, make_world


def _dish(title: str) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        visibility=Visibility.PUBLIC,
        description="A weeknight dish",
        tags=["quick", "dinner"],
        categories=["mains"],
        tools=["pan"],
        ingredients=[
            IngredientIn(text="2 cups flour"),
            IngredientIn(text="1 egg"),
            IngredientIn(text="200 g butter"),
            IngredientIn(text="1 tsp salt"),
        ],
        steps=[StepIn(text="Mix."), StepIn(text="Bake."), StepIn(text="Serve.")],
    )


def _statement(sql: str) -> bool:
    return not sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))


# Rebuilding a recipe's rows, document and search entry on each write took 40, 32, 11, 47,
# 38, 28 and 26 statements; writing only what changed, 26, 17, 8, 19, 13, 6 and 16; with the
# collections an edit leaves as they are taken from the stored document (and its words for
# the index), terms and units that exist looked up rather than inserted, and the recipe's row
# updated once, 22, 10, 2, 13, 8, 6 and 16.
BOUNDS = {
    "create": 23,
    "patch": 11,
    "patch, nothing changed": 3,
    "put": 14,
    "restore revision": 9,
    "trash": 7,
    "out of the trash": 17,
}


async def _etag(session: AsyncSession, recipe_id: int) -> str:
    stored = await documents.stored_recipe(session, recipe_id)
    assert stored is not None
    return stored.etag


async def test_each_recipe_write_runs_a_bounded_number_of_statements(
    session: AsyncSession, settings: Settings, engine: AsyncEngine
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    await service.create_recipe(session, actor=owner, data=_dish("Warm-up"))  # the terms exist
    recipe_id = (await service.create_recipe(session, actor=owner, data=_dish("Tart"))).id
    await session.flush()
    counts: dict[str, int] = {}

    async def count(kind: str, write: Callable[[], Awaitable[object]]) -> None:
        session.expunge_all()  # each write is a request of its own, in a session of its own
        with statements_run(engine, _statement) as statements:
            await write()
            await session.flush()
        counts[kind] = len(statements)

    async def patch(etag: str) -> None:
        await service.update_recipe(
            session,
            actor=owner,
            recipe_id=recipe_id,
            data=RecipeUpdate(description="A weekend dish"),
            partial=True,
            if_match=etag,
        )

    await count("create", lambda: service.create_recipe(session, actor=owner, data=_dish("Pie")))
    etag = await _etag(session, recipe_id)
    await count("patch", lambda: patch(etag))
    etag = await _etag(session, recipe_id)
    await count("patch, nothing changed", lambda: patch(etag))
    await count(
        "put",
        lambda: service.update_recipe(
            session,
            actor=owner,
            recipe_id=recipe_id,
            data=_dish("Tart"),
            partial=False,
            if_match=None,
        ),
    )
    await count(
        "restore revision",
        lambda: service.restore_revision(session, actor=owner, recipe_id=recipe_id, number=1),
    )
    await count(
        "trash",
        lambda: service.trash_recipe(
            session, actor=owner, recipe_id=recipe_id, if_match=None, ip=None
        ),
    )
    await count(
        "out of the trash",
        lambda: service.restore_from_trash(session, actor=owner, recipe_id=recipe_id),
    )
    assert {kind: n for kind, n in counts.items() if n > BOUNDS[kind]} == {}, counts


async def test_an_edit_reads_and_writes_only_what_it_changes(
    session: AsyncSession, settings: Settings, engine: AsyncEngine
) -> None:
    """An edit of the description reads no rows of the collections it leaves as they are (the
    new document takes them from the stored one), inserts no terms or units that exist, and
    updates the recipe's row once; what a reader gets is the recipe as edited."""
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    recipe_id = (await service.create_recipe(session, actor=owner, data=_dish("Tart"))).id
    await session.flush()
    before = (await documents.stored_recipe(session, recipe_id)) or pytest.fail("not stored")
    session.expunge_all()
    with statements_run(engine, _statement) as statements:
        await service.update_recipe(
            session,
            actor=owner,
            recipe_id=recipe_id,
            data=RecipeUpdate(
                description="A weekend dish",
                tags=["dinner", "quick"],
                ingredients=[IngredientIn(text="3 cups flour"), IngredientIn(text="1 tsp salt")],
            ),
            partial=True,
            if_match=before.etag,
        )
        await session.flush()
    collections = ("recipe_categories", "recipe_tools", "recipe_images", "recipe_steps")
    read = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert [sql for sql in read if any(f"FROM {table}" in sql for table in collections)] == []
    inserted = ("tags", "units", "foods", "food_names")
    assert [sql for sql in statements if any(f"INSERT INTO {t} " in sql for t in inserted)] == []
    assert len([sql for sql in statements if sql.startswith("UPDATE recipes ")]) == 1

    after = (await documents.stored_recipe(session, recipe_id)) or pytest.fail("not stored")
    fields, old = after.fields(), before.fields()
    assert fields["version"] == old["version"] + 1
    assert fields["description"] == "A weekend dish"
    assert [line["text"] for line in fields["ingredients"]] == ["3 cups flour", "1 tsp salt"]
    assert fields["tags"] == ["quick", "dinner"]  # in the order the terms were made
    for kept in ("categories", "tools", "steps", "images"):
        assert fields[kept] == old[kept], kept
    # The document is the one a rebuild from the tables makes.
    await documents.rebuild_documents(session, [recipe_id])
    rebuilt = (await documents.stored_recipe(session, recipe_id)) or pytest.fail("not stored")
    assert rebuilt.document == after.document


async def test_an_edit_reads_a_collection_an_older_document_does_not_hold(
    session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    recipe_id = (await service.create_recipe(session, actor=owner, data=_dish("Tart"))).id
    await session.flush()
    stored = (await documents.stored_recipe(session, recipe_id)) or pytest.fail("not stored")
    older = stored.fields()
    del older["tools"]
    await session.execute(
        update(RecipeDocument)
        .where(RecipeDocument.recipe_id == recipe_id)
        .values(document=orjson.dumps(older))
    )
    session.expunge_all()
    await service.update_recipe(
        session,
        actor=owner,
        recipe_id=recipe_id,
        data=RecipeUpdate(description="A weekend dish"),
        partial=True,
        if_match=None,
    )
    edited = (await documents.stored_recipe(session, recipe_id)) or pytest.fail("not stored")
    assert edited.fields()["tools"] == ["pan"]
    assert edited.fields()["description"] == "A weekend dish"
