"""Total time: derived from preparation and cooking unless given, for imported recipes too, and
the migration that tells the two apart in existing recipes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.importing.schemaorg import recipe_from_schema
from recipevault.policy import unscoped
from recipevault.recipes import service
from recipevault.recipes.input_mapping import derived_total, total_was_given
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import RecipeCreate, RecipeUpdate
from tests.support.migrations import load_migration
from tests.support.world import actor_for, make_world


def _schema_org(**fields: Any) -> dict[str, Any]:
    return {"@type": "Recipe", "name": "Braised beans", "recipeIngredient": ["beans"], **fields}


async def test_an_imported_recipe_without_a_total_follows_its_times(
    session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    derived = recipe_from_schema(_schema_org(prepTime="PT10M", cookTime="PT2H")).recipe
    given = recipe_from_schema(_schema_org(prepTime="PT10M", totalTime="PT12H")).recipe
    ids = await service.create_recipes(
        session, actor=owner, household_id=world.household.id, recipes=[derived, given]
    )
    for recipe_id in ids:
        await service.update_recipe(
            session,
            actor=owner,
            recipe_id=recipe_id,
            data=RecipeUpdate(prep_minutes=30),
            partial=True,
            if_match=None,
        )
    await session.flush()
    rows = (
        await session.execute(
            unscoped(select(Recipe.id, Recipe.total_minutes, Recipe.total_minutes_given))
            .where(Recipe.id.in_(ids))
            .order_by(Recipe.id)
        )
    ).all()
    assert [tuple(row[1:]) for row in rows] == [(150, False), (720, True)]


@pytest.mark.parametrize(
    ("prep", "cook", "total", "given"),
    [
        (10, 20, 30, False),
        (10, None, 10, False),
        (None, 45, 45, False),
        (10, 20, 45, True),  # rests a quarter of an hour
        (None, None, 45, True),
        (0, 0, 0, True),
        (None, None, None, False),
        (15, 5, None, False),
    ],
)
async def test_the_migration_tells_given_totals_from_derived_ones(
    session: AsyncSession,
    settings: Settings,
    prep: int | None,
    cook: int | None,
    total: int | None,
    given: bool,
) -> None:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    recipe = await service.create_recipe(
        session, actor=owner, data=RecipeCreate(title="Stew", visibility="public")
    )
    await session.flush()
    # The row as the release before the flag left it, then the migration's own statement.
    columns = {"prep_minutes": prep, "cook_minutes": cook, "total_minutes": total}
    await session.execute(
        update(Recipe).where(Recipe.id == recipe.id).values(**columns, total_minutes_given=False)
    )
    await session.execute(text(str(load_migration("3b5b4cb3876b").BACKFILL)))
    flag = await session.scalar(
        unscoped(select(Recipe.total_minutes_given)).where(Recipe.id == recipe.id)
    )
    assert flag is given
    # Documents and revisions written before the flag are read by the same rule.
    assert total_was_given(columns) is given


def test_the_derived_total_is_preparation_plus_cooking() -> None:
    assert derived_total(10, 20) == 30
    assert derived_total(None, 20) == 20
    assert derived_total(None, None) is None
    assert derived_total(0, 0) is None
