"""A list's items as a reader reads them: each item's parts (what was typed, and what each
recipe or planned meal brought) merged in the reader's unit preference, and where they came
from. Two queries for any number of items: the items (the caller's) and their sources."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.recipes.units import UnitSystem
from recipevault.shopping.amounts import ItemPart
from recipevault.shopping.merging import Merged, merge
from recipevault.shopping.models import ShoppingAddition, ShoppingItem, ShoppingItemSource


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where part of an item came from: a recipe at some servings, directly or planned."""

    recipe_id: int | None
    plan_entry_id: int | None
    servings: Decimal | None


@dataclass(frozen=True, slots=True)
class Line:
    item: ShoppingItem
    merged: Merged
    sources: tuple[SourceRef, ...]


def part(
    text: str,
    *,
    quantity: Decimal | None = None,
    quantity_max: Decimal | None = None,
    unit: str | None = None,
    size: str | None = None,
    food: str | None = None,
) -> ItemPart:
    """The part an amount makes, or, for one that cannot be added up (none, zero, absurd, a
    unit or size without a number), the text alone: it is kept, and read as written."""
    try:
        return ItemPart(text, quantity, quantity_max, unit, size, food)
    except ValueError:
        return ItemPart(text, food=food)


async def lines_of(
    session: AsyncSession, items: Sequence[ShoppingItem], system: UnitSystem
) -> list[Line]:
    """``items`` as lines for a reader of ``system``, in the same order."""
    parts: defaultdict[int, list[ItemPart]] = defaultdict(list)
    sources: defaultdict[int, dict[int, SourceRef]] = defaultdict(dict)
    ids = [item.id for item in items]
    if ids:
        rows = await session.execute(
            select(
                ShoppingItemSource,
                ShoppingAddition.recipe_id,
                ShoppingAddition.plan_entry_id,
                ShoppingAddition.servings,
            )
            .outerjoin(ShoppingAddition, ShoppingAddition.id == ShoppingItemSource.addition_id)
            .where(ShoppingItemSource.item_id.in_(ids))
            .order_by(ShoppingItemSource.id)
        )
        for source, recipe_id, plan_entry_id, servings in rows:
            parts[source.item_id].append(
                part(
                    source.text,
                    quantity=source.quantity,
                    quantity_max=source.quantity_max,
                    unit=source.unit,
                    size=source.size,
                    food=source.food,
                )
            )
            if source.addition_id is not None:  # else typed in
                sources[source.item_id][source.addition_id] = SourceRef(
                    recipe_id, plan_entry_id, servings
                )
    lines = []
    for item in items:
        found = parts[item.id] or [part(item.text, food=item.food)]  # none: a bare name
        merged = merge(found, food=item.food, system=system)
        lines.append(Line(item, merged, tuple(sources[item.id].values())))
    return lines
