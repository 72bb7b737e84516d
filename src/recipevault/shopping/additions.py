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
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

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


@dataclass(slots=True)
class _Wanted:
    """A recipe to put on the list at ``servings`` (the recipe's own when None), directly or as
    the planned meal ``plan_entry_id``; ``addition_id`` once its addition is written."""

    recipe_id: int
    servings: Decimal | None
    plan_entry_id: int | None = None
    addition_id: int = 0


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
    offered = await _bring(session, step, [_Wanted(recipe_id, servings)], include)
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
        _Wanted(p.recipe.id, p.entry.servings, p.entry.id)
        for p in planned
        if p.recipe is not None and p.entry.leftovers_of_id is None and p.entry.id not in already
    ]
    offered = await _bring(session, step, wanted, ()) if wanted else []
    return Brought(end(session, step, "add_plan", None), offered or [])


async def _bring(
    session: AsyncSession, step: Step, wanted: Sequence[_Wanted], include: Collection[int]
) -> list[Offered] | None:
    """Add what ``wanted`` recipes bring; the lines offered instead. None when a recipe is
    not one the actor may read (nothing is added then). However many recipes and lines, a
    statement each: the additions, the new items, the items joined, their parts, and what the
    household bought counted."""
    recipes = await readable_lines(
        session, viewer=step.actor, recipe_ids=[w.recipe_id for w in wanted]
    )
    if any(w.recipe_id not in recipes for w in wanted):
        return None
    household_id = step.shopping_list.household_id
    brings = [line for w in wanted for line in recipes[w.recipe_id].lines]
    kept = await foods.kept(session, household_id, (_food(line) for line in brings))
    items = await _Items.of(session, step.shopping_list.id, brings)
    offered: list[Offered] = []
    brought: list[tuple[ShoppingItem | _NewItem, _Wanted, IngredientLine, Decimal]] = []
    for want in wanted:
        recipe = recipes[want.recipe_id]
        factor = Decimal(1)
        if want.servings is not None and recipe.servings:
            factor = servings_factor(recipe.servings, want.servings)
        else:
            want.servings = recipe.servings
        for line in recipe.lines:
            reason = _offer(line, kept.staples)
            if reason is not None and line.position not in include:
                offered.append(Offered(recipe.id, line.position, line.text, reason))
                continue
            item = items.find(line) or items.start(step, line, kept)
            if isinstance(item, ShoppingItem):
                item.changed_seq = step.sequence
            brought.append((item, want, line, factor))
    await _write_additions(session, step, wanted)
    await items.write_new(session, step)
    await session.flush()  # the items joined
    if brought:
        await session.execute(
            # Every column written for every row, however many are null: one batch.
            insert(ShoppingItemSource).execution_options(render_nulls=True),
            [_source(item, want, line, factor) for item, want, line, factor in brought],
        )
    await foods.bought(session, household_id, [item.food for item, *_ in brought])
    return offered


async def _write_additions(session: AsyncSession, step: Step, wanted: Sequence[_Wanted]) -> None:
    """Write the additions of ``wanted`` in one statement, and note their ids (told apart by
    their planned meal: a list takes a planned meal once, and a recipe comes alone)."""
    rows = await session.execute(
        insert(ShoppingAddition)
        .values(
            [
                {
                    "list_id": step.shopping_list.id,
                    "recipe_id": want.recipe_id,
                    "plan_entry_id": want.plan_entry_id,
                    "servings": want.servings,
                    "created_at": step.now,
                }
                for want in wanted
            ]
        )
        .returning(ShoppingAddition.id, ShoppingAddition.plan_entry_id)
    )
    ids = {plan_entry_id: addition_id for addition_id, plan_entry_id in rows}
    assert len(ids) == len(wanted), "additions are told apart by their planned meal"
    for want in wanted:
        want.addition_id = ids[want.plan_entry_id]


def _food(line: IngredientLine) -> str:
    """The food a line brings: its food, or else what it says."""
    return (line.food or line.text)[:FOOD_LENGTH]


def _offer(line: IngredientLine, staples: Collection[str]) -> OfferReason | None:
    if line.optional:
        return "optional"
    if line.quantity is None and _TO_TASTE.search(f"{line.text} {line.note or ''}"):
        return "to taste"
    if line.food and foods.food_key(line.food) in staples:
        return "staple"
    return None


def _source(
    item: ShoppingItem | _NewItem, want: _Wanted, line: IngredientLine, factor: Decimal
) -> dict[str, Any]:
    """The part ``line`` brings ``item``, scaled by ``factor``, as a row."""

    def scaled(quantity: Decimal | None) -> Decimal | None:
        if quantity is None:
            return None
        return max((quantity * factor).quantize(_QUANTITY), _QUANTITY)

    unit = line.unit if line.unit is None or len(line.unit) <= UNIT_LENGTH else None
    return {
        "item_id": item.id,
        "addition_id": want.addition_id,
        "text": line.text[:TEXT_LENGTH],
        "quantity": scaled(line.quantity) if unit is not None or line.unit is None else None,
        "quantity_max": scaled(line.quantity_max) if line.quantity_max is not None else None,
        "unit": unit,
        "size": None if line.size is None else line.size[:SIZE_LENGTH],
        "food": None if line.food is None else line.food[:FOOD_LENGTH],
    }


@dataclass(slots=True)
class _NewItem:
    """An item a line starts, until it is written (``_Items.write_new``) and has its id."""

    position: int
    food: str
    food_key: str
    food_id: int | None
    aisle: str | None
    id: int = 0


class _Items:
    """The list's live items of the foods lines bring, by food (its id in the household's
    vocabulary, and its key), open ones before checked ones; and the new ones lines start."""

    def __init__(self, items: Iterable[ShoppingItem], last_open: int) -> None:
        self._by_id: dict[int, ShoppingItem | _NewItem] = {}
        self._by_key: dict[str, ShoppingItem | _NewItem] = {}
        self._last = last_open
        self._new: list[_NewItem] = []
        for item in items:
            self._know(item)

    @classmethod
    async def of(
        cls, session: AsyncSession, list_id: int, lines: Sequence[IngredientLine]
    ) -> _Items:
        """The live items of the foods ``lines`` bring, and the last open item's position:
        one query (a list with a long history is not read whole to add a recipe)."""
        keys = sorted({foods.food_key(line.food or line.text) for line in lines})
        food_ids = sorted({line.food_id for line in lines if line.food_id is not None})
        last_open = (
            select(func.max(ShoppingItem.position).label("last"))
            .where(
                ShoppingItem.list_id == list_id,
                ShoppingItem.deleted_at.is_(None),
                ShoppingItem.checked == false(),
            )
            .subquery()
        )
        item = aliased(ShoppingItem)
        same_food = item.food_key.in_(keys) | item.food_id.in_(food_ids)
        rows = (
            await session.execute(
                select(last_open.c.last, item)
                .select_from(last_open)
                .outerjoin(
                    item,
                    and_(item.list_id == list_id, item.deleted_at.is_(None), same_food),
                )
                .order_by(item.checked, item.position, item.id)
            )
        ).all()
        last = rows[0][0] if rows[0][0] is not None else -1
        return cls((found for _, found in rows if found is not None), last)

    def _know(self, item: ShoppingItem | _NewItem) -> None:
        if item.food_id is not None:
            self._by_id.setdefault(item.food_id, item)
        if item.food_key:
            self._by_key.setdefault(item.food_key, item)

    def find(self, line: IngredientLine) -> ShoppingItem | _NewItem | None:
        if line.food_id is not None and line.food_id in self._by_id:
            return self._by_id[line.food_id]
        return self._by_key.get(foods.food_key(line.food or line.text))

    def start(self, step: Step, line: IngredientLine, kept: foods.Kept) -> _NewItem:
        """A new item for ``line``'s food, after the open ones."""
        food = _food(line)
        self._last += 1
        item = _NewItem(self._last, food, foods.food_key(food), line.food_id, kept.aisle(food))
        self._new.append(item)
        self._know(item)
        return item

    async def write_new(self, session: AsyncSession, step: Step) -> None:
        """Write the new items in one statement, and note their ids (told apart by their
        positions, one each)."""
        if not self._new:
            return
        rows = await session.execute(
            insert(ShoppingItem)
            .values(
                [
                    {
                        "list_id": step.shopping_list.id,
                        "position": item.position,
                        "text": item.food,
                        "food": item.food,
                        "food_key": item.food_key,
                        "food_id": item.food_id,
                        "aisle": item.aisle,
                        "checked": False,
                        "created_by_id": step.actor.user_id,
                        "changed_seq": step.sequence,
                        "created_at": step.now,
                    }
                    for item in self._new
                ]
            )
            .returning(ShoppingItem.position, ShoppingItem.id)
        )
        ids = dict(rows.all())
        for item in self._new:
            item.id = ids[item.position]


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
