"""A list's items as a reader reads them: each item's parts (what was typed, and what each
recipe or planned meal brought) merged in the reader's unit preference, and where they came
from. One query for any number of items, their parts and sources."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, or_, select, true, union_all
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
class ItemRow:
    """An item's own fields as read (no row object: a list reads thousands of them)."""

    id: int
    text: str
    food: str | None
    food_id: int | None
    note: str | None
    aisle: str | None
    checked: bool
    checked_at: dt.datetime | None
    position: int
    changed_seq: int


_ITEM_COLUMNS = (
    ShoppingItem.id,
    ShoppingItem.text,
    ShoppingItem.food,
    ShoppingItem.food_id,
    ShoppingItem.note,
    ShoppingItem.aisle,
    ShoppingItem.checked,
    ShoppingItem.checked_at,
    ShoppingItem.position,
    ShoppingItem.changed_seq,
)
_SOURCE_COLUMNS = (
    ShoppingItemSource.addition_id,
    ShoppingItemSource.text,
    ShoppingItemSource.quantity,
    ShoppingItemSource.quantity_max,
    ShoppingItemSource.unit,
    ShoppingItemSource.size,
    ShoppingItemSource.food,
    ShoppingAddition.recipe_id,
    ShoppingAddition.plan_entry_id,
    ShoppingAddition.servings,
)


@dataclass(frozen=True, slots=True)
class Line:
    item: ItemRow
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


# Open items in the list's order, then checked ones, the last checked first.
ORDER = (
    ShoppingItem.checked,
    case((ShoppingItem.checked, ShoppingItem.checked_at)).desc(),
    ShoppingItem.position,
    ShoppingItem.id,
)


async def lines_of(
    session: AsyncSession, items: Sequence[ShoppingItem], system: UnitSystem
) -> list[Line]:
    """``items`` as lines for a reader of ``system``, in the same order."""
    if not items:
        return []
    found = {
        line.item.id: line
        for line in await _lines(session, ShoppingItem.id.in_([item.id for item in items]), system)
    }
    return [found[item.id] for item in items]


async def list_lines(
    session: AsyncSession, list_id: int, system: UnitSystem, *, checked_shown: int
) -> list[Line]:
    """The list as it is read: every open item, in order, then the ``checked_shown`` items
    checked last (the last first). One query."""
    live = (ShoppingItem.list_id == list_id, ShoppingItem.deleted_at.is_(None))
    newest_checked = (
        select(ShoppingItem.id)
        .where(*live, ShoppingItem.checked == true())
        .order_by(ShoppingItem.checked_at.desc(), ShoppingItem.id.desc())
        .limit(checked_shown)
    )
    open_items = select(ShoppingItem.id).where(*live, ShoppingItem.checked == false())
    # (A member of a UNION may not have its own LIMIT in SQLite unless it is a subquery.)
    newest = newest_checked.subquery()
    shown = ShoppingItem.id.in_(union_all(open_items, select(newest.c.id)))
    return await _lines(session, shown, system)


async def checked_lines(
    session: AsyncSession,
    list_id: int,
    system: UnitSystem,
    *,
    before: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[Line]:
    """Checked items, the last checked first, from just before ``before`` (checked at, id)."""
    older: ColumnElement[bool] = ShoppingItem.id.is_not(None)
    if before is not None:
        at, item_id = before
        older = or_(
            ShoppingItem.checked_at < at,
            and_(ShoppingItem.checked_at == at, ShoppingItem.id < item_id),
        )
    page = (
        select(ShoppingItem.id)
        .where(
            ShoppingItem.list_id == list_id,
            ShoppingItem.deleted_at.is_(None),
            ShoppingItem.checked == true(),
            older,
        )
        .order_by(ShoppingItem.checked_at.desc(), ShoppingItem.id.desc())
        .limit(limit)
    )
    return await _lines(session, ShoppingItem.id.in_(page), system)


async def _lines(
    session: AsyncSession, which: ColumnElement[bool], system: UnitSystem
) -> list[Line]:
    """The items ``which`` picks, in ``ORDER``, with their parts and sources: one query, of
    columns (loading thousands of rows as objects would cost more than the rest together)."""
    rows = await session.execute(
        select(*_ITEM_COLUMNS, ShoppingItemSource.id, *_SOURCE_COLUMNS)
        .outerjoin(ShoppingItemSource, ShoppingItemSource.item_id == ShoppingItem.id)
        .outerjoin(ShoppingAddition, ShoppingAddition.id == ShoppingItemSource.addition_id)
        .where(which)
        .order_by(*ORDER, ShoppingItemSource.id)
    )
    width = len(_ITEM_COLUMNS)
    items: dict[int, ItemRow] = {}
    parts: defaultdict[int, list[ItemPart]] = defaultdict(list)
    sources: defaultdict[int, dict[int, SourceRef]] = defaultdict(dict)
    row: Any
    for row in rows:
        item_id = row[0]
        if item_id not in items:
            items[item_id] = ItemRow(*row[:width])
        if row[width] is None:  # no part
            continue
        addition_id, text, quantity, quantity_max, unit, size, food, *source = row[width + 1 :]
        parts[item_id].append(
            part(
                text,
                quantity=quantity,
                quantity_max=quantity_max,
                unit=unit,
                size=size,
                food=food,
            )
        )
        if addition_id is not None:  # else typed in
            sources[item_id][addition_id] = SourceRef(*source)
    lines = []
    for item in items.values():
        found = parts[item.id] or [part(item.text, food=item.food)]  # none: a bare name
        merged = merge(found, food=item.food, system=system)
        lines.append(Line(item, merged, tuple(sources[item.id].values())))
    return lines
