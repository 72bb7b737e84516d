"""Cook with what you have: the index behind ranking recipes by the share of their foods on
hand, and the rule that lets the ranking stop early.

Counting, for every recipe, how many of its foods are on hand reads one row per ingredient
line naming any of them: a list with salt and flour reads half the collection, and grows with
it. Instead each recipe orders its foods rarest first (used by the fewest recipes) and stores,
for each food, ``bound`` = the share of its foods from that one to the end of the order. A
recipe of which a cook has ``have`` foods has them all at or after the first of them, so that
first one's ``bound`` is at least the recipe's coverage (``have / need``). Reading the postings
of the foods on hand from the highest ``bound`` down, a recipe whose coverage is ``c`` turns up
no later than at ``bound = c``: once ``limit`` recipes found so far cover at least the current
``bound``, nothing unread can rank above them and the ranking is exact.

Ordering rarest first is what makes that early: a recipe's first food is rarely a staple, so
the high-``bound`` postings of salt or flour are few. The order is fixed when a recipe is
indexed, from the counts of the moment; any order gives the same results, only the amount
read depends on it.

A cook with ``k`` foods on hand also has at most ``k`` of a recipe's ``need``, so each posting
is read at ``min(bound, k / need)``, still at least the coverage of the recipe it first reaches:
a recipe of 12 foods that shares one with a list of 5 waits for the range its 5 / 12 falls in,
and is not counted in every range above it. For a list of common foods among 100,000 recipes
that leaves out about 40% of the recipes reached.

Postings are read through an index on ``(food_id, bound, need, recipe_id)``: every column a
range's read takes from them, so SQLite walks a range without visiting the table (at 100,000
recipes that was a quarter to a third of the time), and PostgreSQL can scan the index only.

The table is created by the migrations (like the full-text index it is derived data, left out
of backups and rebuilt on restore) and only this module touches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import Reads
from recipevault.recipes.models import FoodName, Recipe

TABLE = "recipe_search_foods"
postings = table(
    TABLE,
    column("recipe_id", Integer),
    column("food_id", Integer),
    column("bound", Float),
    # The recipe's number of foods. A posting written without it counts as needing 1 (the
    # column's default): never left out, as before the column existed.
    column("need", Integer),
)
_recipes = Recipe.__table__
_food_names = FoodName.__table__

# The bounds read in turn, down to 0 (everything). Simple fractions, since coverage is one:
# each step that finds ``limit`` recipes may also stop at their lowest coverage instead.
LEVELS = (1.0, 2 / 3, 1 / 2, 1 / 3, 1 / 5, 0.0)
FIRST_LEVEL = (2.0, LEVELS[0])
"""The first ``(high, low)`` range to read: every bound is at most 1."""


def _foods(recipe: Recipe) -> set[int]:
    return {line.food.id for line in recipe.ingredients if line.food is not None}


def _rows(recipe_id: int, foods: Iterable[int], uses: dict[int, int]) -> list[dict[str, Any]]:
    order = sorted(foods, key=lambda food: (uses[food], food))
    need = len(order)
    return [
        {"recipe_id": recipe_id, "food_id": food, "bound": (need - position) / need, "need": need}
        for position, food in enumerate(order)
    ]


async def index_recipes(session: AsyncSession, recipes: Sequence[Recipe]) -> None:
    """(Re)write the postings of these recipes, in the caller's transaction."""
    if not recipes:
        return
    await unindex_recipes(session, [recipe.id for recipe in recipes])
    foods = {recipe.id: _foods(recipe) for recipe in recipes}
    every_food = set().union(*foods.values())
    if not every_food:
        return
    counted = await session.execute(
        select(postings.c.food_id, func.count())
        .where(postings.c.food_id.in_(sorted(every_food)))
        .group_by(postings.c.food_id)
    )
    uses: dict[int, int] = dict(counted.all())
    for used in foods.values():
        for food in used:
            uses[food] = uses.get(food, 0) + 1
    rows = [row for recipe_id, used in foods.items() for row in _rows(recipe_id, used, uses)]
    if rows:
        await session.execute(insert(postings), rows)


async def unindex_recipes(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    if recipe_ids:
        await session.execute(delete(postings).where(postings.c.recipe_id.in_(recipe_ids)))


FOODS = (
    select(_food_names.c.food_id)
    .where(_food_names.c.key.in_(bindparam("spellings", expanding=True)))
    .distinct()
)
"""The ids of the foods one of whose spellings is in ``spellings``: the foods on hand."""


def level_statement(conditions: Sequence[Any]) -> Any:
    """(recipe id, foods on hand, foods needed) of the best ``limit`` recipes meeting
    ``conditions`` that have a food on hand read in [``low``, ``high``): whose
    ``min(bound, on_hand_count / need)`` is in that range. The foods on hand are the ids in
    ``foods`` (from ``FOODS``), ``on_hand_count`` of them.

    One plan suits every range: from each posting reached, the recipe's postings of foods on
    hand by their primary key. Read with ``plan_once`` on PostgreSQL, it is the one used. Left
    to plan for the values, PostgreSQL takes a common food's postings to be spread evenly over
    the bounds (the rarest-first order puts most of them low) and reads every one of them; and
    with the foods looked up by spelling inside, the plan it keeps tested each posting of a
    reached recipe against the spellings. Either was 3-4 times slower where a range reaches
    hundreds of recipes."""
    on_hand = bindparam("foods", type_=Integer, expanding=True)
    entry = postings.alias("entry")
    counted = postings.alias("counted")
    low, high = bindparam("low", type_=Float), bindparam("high", type_=Float)
    # Divided, not multiplied: equal fractions give equal floats, so a recipe whose
    # ``k / need`` equals a coverage used as ``low`` is read at ``low``, as its bound would be.
    most = bindparam("on_hand_count", type_=Float) / entry.c.need
    reached = select(entry.c.recipe_id).where(
        entry.c.food_id.in_(on_hand),
        entry.c.bound >= low,
        most >= low,
        or_(entry.c.bound < high, most < high),
    )
    have = func.count().label("have")
    return (
        select(_recipes.c.id, have, _recipes.c.food_count)
        .select_from(
            _recipes.join(
                counted,
                (counted.c.recipe_id == _recipes.c.id) & counted.c.food_id.in_(on_hand),
            )
        )
        .where(_recipes.c.id.in_(reached), *conditions)
        .group_by(_recipes.c.id, _recipes.c.food_count)
        # The best ``limit`` of each range are all the ranking can use: a recipe found in two
        # ranges has the same counts in both.
        .order_by((cast(have, Float) / _recipes.c.food_count).desc(), have.desc(), _recipes.c.id)
        .limit(bindparam("limit"))
    )


@dataclass(frozen=True, slots=True)
class Match:
    recipe_id: int
    have: int
    need: int

    @property
    def coverage(self) -> float:
        return self.have / self.need

    def order(self) -> tuple[float, int, int]:
        """Best first: the larger share, then more foods on hand, then the older recipe."""
        return (-self.coverage, -self.have, self.recipe_id)


class Ranking:
    """The best ``limit`` matches so far, and which range of bounds to read next."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._found: dict[int, Match] = {}
        self.top: list[Match] = []

    def add(self, rows: Iterable[tuple[int, int, int]]) -> None:
        self._found.update((rid, Match(rid, have, need)) for rid, have, need in rows)
        self.top = sorted(self._found.values(), key=Match.order)[: self.limit]

    def next_level(self, low: float) -> float | None:
        """The next lower bound to read down to after reading down to ``low``, or None when
        the top can no longer change."""
        full = len(self.top) == self.limit
        if low <= 0.0 or (full and self.top[-1].coverage >= low):
            return None
        lower = next(level for level in LEVELS if level < low)
        # Reading down to the lowest coverage in a full top is always enough to finish.
        return max(lower, self.top[-1].coverage) if full else lower


def food_values(foods: Sequence[int]) -> dict[str, Any]:
    """The parameters of a ``level_statement`` that name the foods on hand (ids from ``FOODS``)."""
    return {"foods": list(foods), "on_hand_count": float(len(foods))}


async def rank(read: Reads, statement: Any, parameters: dict[str, Any], limit: int) -> list[Match]:
    """The best ``limit`` matches of ``statement`` (a ``level_statement``, its other
    parameters given), best first: its ranges read highest bounds first, until the top can no
    longer change."""
    ranking = Ranking(limit)
    high, low = FIRST_LEVEL
    while True:
        bounds = {"low": low, "high": high, "limit": limit}
        ranking.add(await read.rows(statement, parameters | bounds, heavy=True))
        lower = ranking.next_level(low)
        if lower is None:
            return ranking.top
        high, low = low, lower
