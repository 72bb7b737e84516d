"""Recipes to choose from, for features that propose recipes (the meal planner's suggestions):
what a listing would show a viewer under some filters that another audience may also read, as a
sample a seed picks, or ranked by the foods on hand as cook-with ranks them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from recipevault.db import Database, Reads
from recipevault.policy import Viewer, readable_by
from recipevault.recipes.documents import recipes
from recipevault.recipes.listing import RecipeFilters, food_spellings, listed
from recipevault.recipes.search import on_hand

# A prime above every id: ``(id * a + b) mod`` it orders the recipes as the seed's ``a`` and
# ``b`` say, the same way on every database (no database's random order is repeatable).
_SPREAD_MODULUS = 2_147_483_647


@dataclass(frozen=True, slots=True)
class Choice:
    """A recipe to choose from; with foods on hand, how many of its foods they are (``have``)
    of how many it uses (``need``)."""

    id: int
    title: str
    slug: str
    rating: int | None
    total_minutes: int | None
    have: int | None = None
    need: int | None = None


_DETAILS = sa.select(
    recipes.c.id, recipes.c.title, recipes.c.slug, recipes.c.rating, recipes.c.total_minutes
)


async def choices(
    database: Database,
    *,
    viewer: Viewer,
    audience: Viewer,
    filters: RecipeFilters,
    limit: int,
    seed: int,
    rated_first: bool = False,
    foods_on_hand: Sequence[str] = (),
) -> list[Choice]:
    """At most ``limit`` recipes that ``viewer`` would see listed under ``filters`` and that
    ``audience`` may read too (``policy.readable_by``, the one rule).

    With ``foods_on_hand``, the recipes using any of them, best first as cook-with ranks them
    (the larger share of their foods on hand first). Otherwise a sample of the recipes that
    ``seed`` picks, the same for the same seed and recipes, the rated first (best first) when
    ``rated_first`` says; by id after that, so the order never depends on the database's."""
    conditions, parameters = listed(viewer, filters)
    conditions = [*conditions, readable_by(audience, recipes)]
    async with database.reads() as read:
        if foods_on_hand:
            return await _on_hand(read, conditions, parameters, foods_on_hand, limit)
        spread_a, spread_b = _spread(seed)
        spread = (recipes.c.id * spread_a + spread_b) % _SPREAD_MODULUS
        order = [recipes.c.sort_rating.desc()] if rated_first else []
        statement = _DETAILS.where(*conditions).order_by(*order, spread, recipes.c.id).limit(limit)
        rows = await read.rows(statement, parameters, heavy=True)
    return [_choice(row) for row in rows]


def _choice(row: Sequence[Any], match: on_hand.Match | None = None) -> Choice:
    recipe_id, title, slug, rating, total_minutes = row
    return Choice(
        recipe_id,
        title,
        slug,
        rating,
        total_minutes,
        have=match.have if match else None,
        need=match.need if match else None,
    )


def _spread(seed: int) -> tuple[Any, Any]:
    draw = random.Random(seed)  # noqa: S311 (an order to repeat, not a secret)
    a = draw.randrange(1, _SPREAD_MODULUS)
    b = draw.randrange(_SPREAD_MODULUS)
    return sa.literal(a, sa.BigInteger), sa.literal(b, sa.BigInteger)


async def _on_hand(
    read: Reads,
    conditions: list[Any],
    parameters: dict[str, Any],
    foods: Sequence[str],
    limit: int,
) -> list[Choice]:
    found = await read.rows(on_hand.FOODS, {"spellings": food_spellings(foods)})
    food_ids = [row[0] for row in found]
    if not food_ids:
        return []
    statement = on_hand.level_statement(conditions)
    values = parameters | on_hand.food_values(food_ids)
    top = await on_hand.rank(read, statement, values, limit)
    if not top:
        return []
    ids: Any = sa.bindparam("ids", expanding=True)
    rows = await read.rows(
        _DETAILS.where(recipes.c.id.in_(ids)), {"ids": [m.recipe_id for m in top]}
    )
    details = {row[0]: row for row in rows}
    return [
        _choice(details[match.recipe_id], match)
        for match in top
        if match.recipe_id in details  # deleted between the two reads
    ]
