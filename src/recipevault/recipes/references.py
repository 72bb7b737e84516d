"""What other features show of the recipes they refer to (a meal plan's entries): the title,
slug and servings of those the viewer may read, and nothing at all of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

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


def with_readable_reference(
    statement: Select[*tuple[Any, ...]],
    recipe_id: ColumnElement[int | None] | InstrumentedAttribute[int | None],
    kind: ViewerKind,
    *,
    servings: bool = True,
) -> Select[*tuple[Any, ...]]:
    """``statement`` with the id, title, slug and (unless not ``servings``) servings of the
    recipe its ``recipe_id`` refers to, as its last columns (a ``RecipeReference``), for a
    viewer of ``kind`` (given as ``policy.read_parameters``): NULLs when the recipe is missing,
    trashed or hidden, which the caller cannot tell apart (as ``readable_references``, in the
    same query as the rows that refer to it)."""
    recipe = aliased(Recipe, name="referenced_recipe")
    readable = and_(recipe.id == recipe_id, recipe.deleted_at.is_(None), read_rule(kind, recipe))
    columns = (recipe.id, recipe.title, recipe.slug, *((recipe.servings,) if servings else ()))
    return unscoped(statement.add_columns(*columns).outerjoin(recipe, readable))


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
