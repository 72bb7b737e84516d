"""What a recipe write costs the database: the statements each kind runs, bounded.

Each statement runs inside the write transaction, which on SQLite holds the only write lock:
a write that loads the recipe twice and rebuilds its rows, document and search entry from
scratch keeps every other writer waiting. The bounds leave room for a statement or two
more, not for a write that reloads or rewrites what it did not change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.policy import Visibility
from recipevault.recipes import documents, service
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
# 38, 28 and 26 statements.
BOUNDS = {
    "create": 28,
    "patch": 20,
    "patch, nothing changed": 9,
    "put": 22,
    "restore revision": 16,
    "trash": 8,
    "out of the trash": 18,
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
