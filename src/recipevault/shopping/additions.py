"""Putting recipes and planned meals on a list, and taking them off again.

A recipe goes on a list at some servings (its ingredient lines scaled), directly or as a meal
plan entry at the entry's servings; what it brings is recorded per item (``ShoppingItemSource``)
under its ``ShoppingAddition``, so that taking it off subtracts exactly its share. Each line
joins the item of the same food already on the list, checked or not (so an item checked off is
never brought back unchecked: it stays as it is, its amount grown), else makes a new one.

Some lines are offered rather than added: optional ones, those with no amount that say "to
taste" (or "as needed", "for serving"...), and those whose food the household keeps as a staple.
Asking for them by position adds them too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.errors import NotFound
from recipevault.planner.service import check_dates, check_range, list_plan
from recipevault.policy import Actor
from recipevault.recipes.line_references import IngredientLine, readable_lines
from recipevault.recipes.scaling import servings_factor
from recipevault.shopping import foods
from recipevault.shopping.models import (
    FOOD_LENGTH,
    SIZE_LENGTH,
    TEXT_LENGTH,
    UNIT_LENGTH,
    ShoppingAddition,
    ShoppingFood,
    ShoppingItem,
    ShoppingItemSource,
)
from recipevault.shopping.service import Done, Step, begin, end, mark_removed

OfferReason = Literal["optional", "to taste", "staple"]

# Lines without an amount that a cook seasons or finishes with rather than buys for.
_TO_TASTE = re.compile(
    r"\b(?:to taste|as needed|as required|if needed|if desired|for (?:serving|garnish(?:ing)?"
    r"|decoration|dusting|greasing|frying))\b",
    re.IGNORECASE,
)
_QUANTITY = Decimal("0.0001")


class RecipeNotFound(NotFound):
    title = "Recipe not found"


class NotOnList(NotFound):
    title = "Not on this list"


@dataclass(frozen=True, slots=True)
class Offered:
    """A line not added, and why: the client may ask for it (``include``)."""

    recipe_id: int
    position: int
    text: str
    reason: OfferReason


@dataclass(frozen=True, slots=True)
class Brought:
    done: Done
    offered: list[Offered]


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A recipe to put on the list at ``servings``, as ``addition`` (made but not flushed)."""

    addition: ShoppingAddition
    recipe_id: int
    servings: Decimal | None


# --- Putting on ------------------------------------------------------------------------------


async def add_recipe(
    session: AsyncSession,
    *,
    actor: Actor,
    list_id: int,
    recipe_id: int,
    servings: Decimal | None,
    include: Collection[int],
    op_id: str | None,
) -> Brought:
    """Put a recipe the actor may read on the list at ``servings`` (the recipe's own when
    None); ``include`` names lines (by position) to add though they would be offered."""
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return Brought(step, [])
    addition = ShoppingAddition(list_id=list_id, recipe_id=recipe_id, servings=servings)
    offered = await _bring(session, step, [_Wanted(addition, recipe_id, servings)], include)
    if offered is None:
        raise RecipeNotFound()
    return Brought(end(session, step, "add_recipe", None), offered)


async def add_plan(
    session: AsyncSession,
    *,
    actor: Actor,
    list_id: int,
    start: dt.date,
    end_date: dt.date,
    op_id: str | None,
) -> Brought:
    """Put every recipe planned from ``start`` to ``end_date`` on the list at its planned
    servings, once per entry: an entry already on the list adds nothing again, and leftovers
    add nothing (their meal was bought for)."""
    # The range is checked first, so that a bad one is refused even when its op id was seen.
    check_dates(where="body", start=start, end=end_date)
    check_range(start, end_date, where="body", end_field="end")
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return Brought(step, [])
    planned = await list_plan(
        session,
        actor=actor,
        household_id=step.shopping_list.household_id,
        start=start,
        end=end_date,
    )
    already = set(
        await session.scalars(
            select(ShoppingAddition.plan_entry_id).where(
                ShoppingAddition.list_id == list_id,
                ShoppingAddition.plan_entry_id.in_([p.entry.id for p in planned]),
            )
        )
    )
    wanted = [
        _Wanted(
            ShoppingAddition(
                list_id=list_id,
                recipe_id=p.recipe.id,
                plan_entry_id=p.entry.id,
                servings=p.entry.servings,
            ),
            p.recipe.id,
            p.entry.servings,
        )
        for p in planned
        if p.recipe is not None and p.entry.leftovers_of_id is None and p.entry.id not in already
    ]
    offered = await _bring(session, step, wanted, ()) if wanted else []
    return Brought(end(session, step, "add_plan", None), offered or [])


async def _bring(
    session: AsyncSession, step: Step, wanted: Sequence[_Wanted], include: Collection[int]
) -> list[Offered] | None:
    """Add what ``wanted`` recipes bring; the lines offered instead. None when a recipe is
    not one the actor may read (nothing is added then)."""
    recipes = await readable_lines(
        session, viewer=step.actor, recipe_ids=[w.recipe_id for w in wanted]
    )
    if any(w.recipe_id not in recipes for w in wanted):
        return None
    household_id = step.shopping_list.household_id
    staples = await _staples(session, household_id)
    items = _Items(await _live_items(session, step.shopping_list.id))
    offered: list[Offered] = []
    for want in wanted:
        recipe = recipes[want.recipe_id]
        factor = Decimal(1)
        if want.servings is not None and recipe.servings:
            factor = servings_factor(recipe.servings, want.servings)
        else:
            want.addition.servings = recipe.servings
        session.add(want.addition)
        await session.flush()
        for line in recipe.lines:
            reason = _offer(line, staples)
            if reason is not None and line.position not in include:
                offered.append(Offered(recipe.id, line.position, line.text, reason))
                continue
            item = items.find(line) or await items.start(session, step, line)
            item.changed_seq = step.sequence
            session.add(_source(item, want.addition, line, factor))
            await foods.bought(session, household_id, item.food)
    await session.flush()
    return offered


def _offer(line: IngredientLine, staples: set[str]) -> OfferReason | None:
    if line.optional:
        return "optional"
    if line.quantity is None and _TO_TASTE.search(f"{line.text} {line.note or ''}"):
        return "to taste"
    if line.food and foods.food_key(line.food) in staples:
        return "staple"
    return None


def _source(
    item: ShoppingItem, addition: ShoppingAddition, line: IngredientLine, factor: Decimal
) -> ShoppingItemSource:
    def scaled(quantity: Decimal | None) -> Decimal | None:
        if quantity is None:
            return None
        return max((quantity * factor).quantize(_QUANTITY), _QUANTITY)

    unit = line.unit if line.unit is None or len(line.unit) <= UNIT_LENGTH else None
    return ShoppingItemSource(
        item_id=item.id,
        addition_id=addition.id,
        text=line.text[:TEXT_LENGTH],
        quantity=scaled(line.quantity) if unit is not None or line.unit is None else None,
        quantity_max=scaled(line.quantity_max) if line.quantity_max is not None else None,
        unit=unit,
        size=None if line.size is None else line.size[:SIZE_LENGTH],
        food=None if line.food is None else line.food[:FOOD_LENGTH],
    )


async def _staples(session: AsyncSession, household_id: int) -> set[str]:
    rows = await session.scalars(
        select(ShoppingFood.key).where(
            ShoppingFood.household_id == household_id, ShoppingFood.staple
        )
    )
    return set(rows)


async def _live_items(session: AsyncSession, list_id: int) -> list[ShoppingItem]:
    rows = await session.scalars(
        select(ShoppingItem)
        .where(ShoppingItem.list_id == list_id, ShoppingItem.deleted_at.is_(None))
        .order_by(ShoppingItem.checked, ShoppingItem.position, ShoppingItem.id)
    )
    return list(rows)


class _Items:
    """The list's live items by food (its id in the household's vocabulary, and its key),
    open ones before checked ones; and the new ones made as lines come."""

    def __init__(self, items: Iterable[ShoppingItem]) -> None:
        self._by_id: dict[int, ShoppingItem] = {}
        self._by_key: dict[str, ShoppingItem] = {}
        self._last = -1
        for item in items:
            self._know(item)
            if not item.checked:
                self._last = max(self._last, item.position)

    def _know(self, item: ShoppingItem) -> None:
        if item.food_id is not None:
            self._by_id.setdefault(item.food_id, item)
        if item.food_key:
            self._by_key.setdefault(item.food_key, item)

    def find(self, line: IngredientLine) -> ShoppingItem | None:
        if line.food_id is not None and line.food_id in self._by_id:
            return self._by_id[line.food_id]
        return self._by_key.get(foods.food_key(line.food or line.text))

    async def start(self, session: AsyncSession, step: Step, line: IngredientLine) -> ShoppingItem:
        food = (line.food or line.text)[:FOOD_LENGTH]
        self._last += 1
        item = ShoppingItem(
            list_id=step.shopping_list.id,
            position=self._last,
            text=food,
            food=food,
            food_key=foods.food_key(food),
            food_id=line.food_id,
            aisle=await foods.aisle_of(session, step.shopping_list.household_id, food),
            created_by_id=step.actor.user_id,
            changed_seq=step.sequence,
        )
        session.add(item)
        await session.flush()
        self._know(item)
        return item


# --- Taking off ------------------------------------------------------------------------------


async def remove_recipe(
    session: AsyncSession, *, actor: Actor, list_id: int, recipe_id: int, op_id: str | None
) -> Done:
    """Take a recipe off the list, wherever it came from (directly or planned): exactly what
    it brought goes, and an item nothing else is left of goes with it."""
    return await _take_off(
        session, actor, list_id, op_id, ShoppingAddition.recipe_id == recipe_id, "remove_recipe"
    )


async def remove_plan_entry(
    session: AsyncSession, *, actor: Actor, list_id: int, entry_id: int, op_id: str | None
) -> Done:
    return await _take_off(
        session,
        actor,
        list_id,
        op_id,
        ShoppingAddition.plan_entry_id == entry_id,
        "remove_plan_entry",
    )


async def _take_off(
    session: AsyncSession,
    actor: Actor,
    list_id: int,
    op_id: str | None,
    which: ColumnElement[bool],
    kind: Literal["remove_recipe", "remove_plan_entry"],
) -> Done:
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return step
    additions = list(
        await session.scalars(
            select(ShoppingAddition.id).where(ShoppingAddition.list_id == list_id, which)
        )
    )
    if not additions:
        raise NotOnList()
    touched = list(
        await session.scalars(
            select(ShoppingItemSource.item_id)
            .where(ShoppingItemSource.addition_id.in_(additions))
            .distinct()
        )
    )
    await session.execute(
        delete(ShoppingItemSource).where(ShoppingItemSource.addition_id.in_(additions))
    )
    await session.execute(delete(ShoppingAddition).where(ShoppingAddition.id.in_(additions)))
    left = set(
        await session.scalars(
            select(ShoppingItemSource.item_id)
            .where(ShoppingItemSource.item_id.in_(touched))
            .distinct()
        )
    )
    now = step.now
    for item in await session.scalars(select(ShoppingItem).where(ShoppingItem.id.in_(touched))):
        if item.deleted_at is not None:
            continue
        if item.id in left:
            item.changed_seq = step.sequence
        else:
            mark_removed(item, step.sequence, now)
    await session.flush()
    return end(session, step, kind, None)
