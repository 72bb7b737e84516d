"""The worker's upkeep for recipes: the trash is emptied of what has been there 30 days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.worker import MAINTENANCE
from recipevault.policy import unscoped
from recipevault.recipes import jobs as recipe_jobs
from recipevault.recipes import service as recipes
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import RecipeCreate
from tests.support.jobs import RecordingQueue
from tests.support.world import actor_for, make_user


async def test_old_trash_is_purged_once_an_hour(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    assert recipe_jobs.purge_old_trash in MAINTENANCE
    actor = await actor_for(session, await make_user(session, settings))
    old = await recipes.create_recipe(session, actor=actor, data=RecipeCreate(title="Old"))
    recent = await recipes.create_recipe(session, actor=actor, data=RecipeCreate(title="Recent"))
    for recipe in (old, recent):
        await recipes.trash_recipe(
            session, actor=actor, recipe_id=recipe.id, if_match=None, ip=None
        )
    await session.execute(
        update(Recipe).where(Recipe.id == old.id).values(deleted_at=utcnow() - timedelta(days=31))
    )
    await session.commit()

    schedule = recipe_jobs._Every(3600)
    recipe_jobs._purge_schedule = schedule
    await recipe_jobs.purge_old_trash(database, settings, RecordingQueue())
    left = set((await session.scalars(unscoped(select(Recipe.id)))).all())
    assert old.id not in left
    assert recent.id in left
    assert not schedule.due()  # the next look waits an hour
