"""A list's items as a reader reads them: each item's parts (what was typed, and what each
recipe or planned meal brought) merged in the reader's unit preference, and where they came
from. One query for any number of items, their parts and sources."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import UnitSystem as UnitPreference
from recipevault.db import Database, read_rows
from recipevault.recipes.units import UnitSystem
from recipevault.shopping.amounts import ItemPart
from recipevault.shopping.merging import Merged, merge
from recipevault.shopping.models import ShoppingAddition, ShoppingItem, ShoppingItemSource

# The values a list is read into are tuples (``NamedTuple``): a list reads thousands of them on
# every visit, and a tuple is made in one step where a frozen dataclass sets each field in turn.


_READING: dict[UnitPreference, UnitSystem] = {
    UnitPreference.ORIGINAL: "neutral",
    UnitPreference.METRIC: "metric",
    UnitPreference.US: "us",
}


def reading_units(preference: UnitPreference) -> UnitSystem:
    """The units a reader who prefers ``preference`` reads a list in (as written: "neutral")."""
    return _READING[preference]


class SourceRef(NamedTuple):
    """Where part of an item came from: a recipe at some servings, directly or planned."""

    recipe_id: int | None
    plan_entry_id: int | None
    servings: Decimal | None


class ItemRow(NamedTuple):
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


class Line(NamedTuple):
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
        for line in await _lines(
            session, _statement(ShoppingItem.id.in_([item.id for item in items])), system
        )
    }
    return [found[item.id] for item in items]


async def list_lines(
    session: AsyncSession | Database, list_id: int, system: UnitSystem, *, checked_shown: int
) -> list[Line]:
    """The list as it is read: every open item, in order, then the ``checked_shown`` items
    checked last (the last first). One query: in a session's unit of work, or through the
    database as committed."""
    return await _lines(session, _shown(checked_shown), system, {"list_id": list_id})


@cache
def _shown(checked_shown: int) -> Select[*tuple[Any, ...]]:
    """The lines of a list's open items and of its ``checked_shown`` items checked last, for
    the list ``:list_id`` (built once)."""
    live = (ShoppingItem.list_id == bindparam("list_id"), ShoppingItem.deleted_at.is_(None))
    newest_checked = (
        select(ShoppingItem.id)
        .where(*live, ShoppingItem.checked == true())
        .order_by(ShoppingItem.checked_at.desc(), ShoppingItem.id.desc())
        .limit(checked_shown)
    )
    open_items = select(ShoppingItem.id).where(*live, ShoppingItem.checked == false())
    # (A member of a UNION may not have its own LIMIT in SQLite unless it is a subquery.)
    newest = newest_checked.subquery()
    return _statement(ShoppingItem.id.in_(union_all(open_items, select(newest.c.id))))


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
    return await _lines(session, _statement(ShoppingItem.id.in_(page)), system)


def _statement(which: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """The items ``which`` picks, in ``ORDER``, with their parts and sources: of columns
    (loading thousands of rows as objects would cost more than the rest together)."""
    return (
        select(*_ITEM_COLUMNS, ShoppingItemSource.id, *_SOURCE_COLUMNS)
        .outerjoin(ShoppingItemSource, ShoppingItemSource.item_id == ShoppingItem.id)
        .outerjoin(ShoppingAddition, ShoppingAddition.id == ShoppingItemSource.addition_id)
        .where(which)
        .order_by(*ORDER, ShoppingItemSource.id)
    )


async def _lines(
    source: AsyncSession | Database,
    statement: Select[*tuple[Any, ...]],
    system: UnitSystem,
    parameters: dict[str, Any] | None = None,
) -> list[Line]:
    """The lines of the items a ``_statement`` picks: one query, for any number of items,
    their parts and sources."""
    rows = await read_rows(source, statement, parameters, heavy=True)
    width = len(_ITEM_COLUMNS)
    items: dict[int, ItemRow] = {}
    parts: dict[int, list[RawPart]] = {}
    sources: defaultdict[int, dict[int, SourceRef]] = defaultdict(dict)
    for row in rows:
        item_id = row[0]
        if item_id not in items:
            items[item_id] = ItemRow._make(row[:width])
            parts[item_id] = []
        if row[width] is None:  # no part
            continue
        parts[item_id].append(row[width + 2 : width + 8])
        addition_id = row[width + 1]
        if addition_id is not None:  # else typed in
            sources[item_id][addition_id] = SourceRef._make(row[width + 8 :])
    return [
        Line(
            item,
            _merged(tuple(parts[item.id]), item.text, item.food, system),
            tuple(sources[item.id].values()) if item.id in sources else (),
        )
        for item in items.values()
    ]


# A part as read: its text, quantity, quantity_max, unit, size and food.
RawPart = tuple[str, Decimal | None, Decimal | None, str | None, str | None, str | None]


# A long list is merged again on every read, for every reader: the lines read most recently are
# kept by their parts as read, so that a line read again makes no parts and sorts none (a list
# of 2,000 lines made 2,000 merges' worth of objects per read). The result depends on the
# parts, food and reader alone.
@lru_cache(maxsize=8192)
def _merged(parts: tuple[RawPart, ...], text: str, food: str | None, system: UnitSystem) -> Merged:
    found = [
        part(written, quantity=quantity, quantity_max=top, unit=unit, size=size, food=named)
        for written, quantity, top, unit, size, named in parts
    ] or [part(text, food=food)]  # none: a bare name
    return merge(found, food=food, system=system)
