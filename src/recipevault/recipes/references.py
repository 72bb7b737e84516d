"""What other features show of the recipes they refer to (a meal plan's entries): the title,
slug and servings of those the viewer may read, and nothing at all of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Viewer, ViewerKind, read_parameters, read_rule, unscoped, viewer_kind
from recipevault.recipes.models import Recipe


@dataclass(frozen=True, slots=True)
class RecipeReference:
    id: int
    title: str
    slug: str
    servings: Decimal | None


@cache
def _references(kind: ViewerKind) -> Any:
    """The statement for every viewer of ``kind``, built once (the viewer is its parameters)."""
    return unscoped(
        select(Recipe.id, Recipe.title, Recipe.slug, Recipe.servings).where(
            Recipe.id.in_(bindparam("recipe_ids", expanding=True)),
            Recipe.deleted_at.is_(None),
            read_rule(kind, Recipe),
        )
    )


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
        _references(viewer_kind(viewer)), {"recipe_ids": wanted, **read_parameters(viewer)}
    )
    return {row.id: RecipeReference(row.id, row.title, row.slug, row.servings) for row in rows}
