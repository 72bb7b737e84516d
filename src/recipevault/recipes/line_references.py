"""What other features read of the ingredients of recipes they refer to (a shopping list adds
a recipe's lines): the lines of those the viewer may read, and nothing of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Viewer, ViewerKind, read_parameters, read_rule, unscoped, viewer_kind
from recipevault.recipes.models import Food, Recipe, RecipeIngredient, Unit


@dataclass(frozen=True, slots=True)
class IngredientLine:
    """An ingredient line as written, and what was read from it: ``unit`` is a unit key (a
    canonical key such as "gram", or the lower-cased name of a unit the vocabulary does not
    know), ``food`` the household's food as named."""

    position: int
    text: str
    quantity: Decimal | None
    quantity_max: Decimal | None
    unit: str | None
    size: str | None
    food: str | None
    food_id: int | None
    note: str | None
    optional: bool


@dataclass(frozen=True, slots=True)
class RecipeLines:
    id: int
    title: str
    servings: Decimal | None
    lines: tuple[IngredientLine, ...]


@cache
def _lines(kind: ViewerKind) -> Any:
    """The statement for every viewer of ``kind``, built once (the viewer is its parameters)."""
    return unscoped(
        select(
            Recipe.id,
            Recipe.title,
            Recipe.servings,
            RecipeIngredient.position,
            RecipeIngredient.text,
            RecipeIngredient.quantity,
            RecipeIngredient.quantity_max,
            Unit.key,
            RecipeIngredient.size,
            Food.name,
            RecipeIngredient.food_id,
            RecipeIngredient.note,
            RecipeIngredient.optional,
        )
        .select_from(Recipe)
        .outerjoin(RecipeIngredient, RecipeIngredient.recipe_id == Recipe.id)
        .outerjoin(Unit, Unit.id == RecipeIngredient.unit_id)
        .outerjoin(Food, Food.id == RecipeIngredient.food_id)
        .where(
            Recipe.id.in_(bindparam("recipe_ids", expanding=True)),
            Recipe.deleted_at.is_(None),
            read_rule(kind, Recipe),
        )
        .order_by(Recipe.id, RecipeIngredient.position)
    )


async def readable_lines(
    session: AsyncSession, *, viewer: Viewer, recipe_ids: Iterable[int]
) -> dict[int, RecipeLines]:
    """The ingredient lines, in order, of the recipes among ``recipe_ids`` that ``viewer`` may
    read and that are not in the trash, by id, in one query. A recipe left out is missing,
    trashed or hidden: the caller cannot tell which."""
    wanted = sorted(set(recipe_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        _lines(viewer_kind(viewer)), {"recipe_ids": wanted, **read_parameters(viewer)}
    )
    found: dict[int, tuple[str, Decimal | None, list[IngredientLine]]] = {}
    for recipe_id, title, servings, position, *line in rows:
        _, _, lines = found.setdefault(recipe_id, (title, servings, []))
        if position is not None:  # a recipe without ingredients has one row of nulls
            lines.append(IngredientLine(position, *line))
    return {
        recipe_id: RecipeLines(recipe_id, title, servings, tuple(lines))
        for recipe_id, (title, servings, lines) in found.items()
    }
