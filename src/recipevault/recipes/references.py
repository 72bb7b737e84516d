"""What other features show of the recipes they refer to (a meal plan's entries): the title,
slug and servings of those the viewer may read, and nothing at all of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Viewer, scoped
from recipevault.recipes.models import Recipe


@dataclass(frozen=True, slots=True)
class RecipeReference:
    id: int
    title: str
    slug: str
    servings: Decimal | None


async def readable_references(
    session: AsyncSession, *, viewer: Viewer, recipe_ids: Iterable[int]
) -> dict[int, RecipeReference]:
    """The recipes among ``recipe_ids`` that ``viewer`` may read and that are not in the
    trash, by id, in one query. A recipe left out is missing, trashed or hidden: the caller
    cannot tell which, and says "no longer available"."""
    wanted = sorted(set(recipe_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        scoped(
            select(Recipe.id, Recipe.title, Recipe.slug, Recipe.servings).where(
                Recipe.id.in_(wanted), Recipe.deleted_at.is_(None)
            ),
            viewer,
        )
    )
    return {row.id: RecipeReference(row.id, row.title, row.slug, row.servings) for row in rows}
