"""Recipes of one title created at once each get a slug of their own, and none fails.

On PostgreSQL a create does not see the row another create of the same title has inserted
and not committed yet: both find the same slug free, and the second insert waits for the
first transaction, then finds the slug taken."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from recipevault.config import Settings
from recipevault.policy import Actor, Visibility, unscoped
from recipevault.recipes import service
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import RecipeCreate
from tests.support.database import DatabaseFactory, own_database
from tests.support.world import actor_for, make_world


async def test_creates_of_one_title_at_once_get_distinct_slugs(
    settings: Settings, databases: DatabaseFactory
) -> None:
    async with own_database(databases, settings, "same_title") as database:
        async with database.session() as session:
            world = await make_world(session, settings)
            owner = await actor_for(session, world.owner)
            await session.commit()
        data = RecipeCreate(title="Plum Tart", visibility=Visibility.PUBLIC)

        async def create(actor: Actor) -> int:
            async with database.session() as session:
                recipe = await service.create_recipe(session, actor=actor, data=data)
                await session.commit()
                return recipe.id

        async with database.session() as first:
            # The first create's row is inserted and not committed while the others look
            # for a free slug and insert theirs.
            first_id = (await service.create_recipe(first, actor=owner, data=data)).id
            others = [asyncio.create_task(create(owner)) for _ in range(4)]
            await asyncio.sleep(0.5)
            await first.commit()
        ids = [first_id, *await asyncio.wait_for(asyncio.gather(*others), timeout=30)]

        async with database.session(write=False) as session:
            rows = await session.execute(unscoped(select(Recipe.id, Recipe.slug)))
            slugs = dict(rows.all())
        assert sorted(slugs[recipe_id] for recipe_id in ids) == [
            "plum-tart",
            "plum-tart-2",
            "plum-tart-3",
            "plum-tart-4",
            "plum-tart-5",
        ]
