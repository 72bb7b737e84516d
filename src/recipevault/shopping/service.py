"""Shopping list use cases: a household's lists and their items.

A list belongs to a household: its members read and change it, admins too (as they manage
every household), and to anyone else it does not exist (404).

Every change goes through ``operate``: it takes the next number of the list's sequence (an
UPDATE of the list's row, which also makes changes to one list wait for each other) and
records the operation under its client's id, so that the same id sent again changes nothing
and answers as before. A removed item keeps its row as a marker until ``sweep_markers``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, delete, false, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from recipevault.clock import utcnow
from recipevault.errors import Gone, NotFound
from recipevault.households.service import require_household
from recipevault.policy import Actor
from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.vocabulary.resolving import find_foods, term_key
from recipevault.shopping import foods
from recipevault.shopping.amounts import ItemPart
from recipevault.shopping.lines import part
from recipevault.shopping.models import (
    FOOD_LENGTH,
    SIZE_LENGTH,
    TOMBSTONE_DAYS,
    UNIT_LENGTH,
    ShoppingItem,
    ShoppingItemSource,
    ShoppingList,
    ShoppingOperation,
)

OperationKind = Literal[
    "rename_list",
    "add_item",
    "change_item",
    "remove_item",
    "clear_checked",
    "add_recipe",
    "add_plan",
    "remove_recipe",
    "remove_plan_entry",
]


class ShoppingListNotFound(NotFound):
    title = "Shopping list not found"


class ShoppingItemNotFound(NotFound):
    title = "Shopping list item not found"


class ChangesForgotten(Gone):
    title = "Changes no longer kept"


@dataclass(frozen=True, slots=True)
class ListSummary:
    shopping_list: ShoppingList
    open_items: int
    checked_items: int


@dataclass(frozen=True, slots=True)
class Changes:
    sequence: int
    items: list[ShoppingItem]
    removed: list[int]


@dataclass(frozen=True, slots=True)
class Done:
    """What an operation did: its number, and the item it made or changed (if any). An
    operation sent again (``repeated``) did nothing this time; its item is as it is now."""

    sequence: int
    item: ShoppingItem | None
    repeated: bool


# --- Whose lists -----------------------------------------------------------------------------


def visible_lists(admin: bool, household_ids: Any) -> ColumnElement[bool]:
    """The lists a viewer may read and change, as a condition: every list for an admin, else
    those of ``household_ids`` (the ids, or an expanding parameter of them); fails closed: no
    household, no list."""
    if admin:
        return ShoppingList.id.is_not(None)
    return ShoppingList.household_id.in_(household_ids)


def _visible(actor: Actor) -> ColumnElement[bool]:
    """The lists ``actor`` may read and change, as a condition."""
    return visible_lists(actor.is_admin, sorted(actor.household_ids))


async def get_list(session: AsyncSession, *, actor: Actor, list_id: int) -> ShoppingList:
    found = await session.scalar(
        select(ShoppingList).where(ShoppingList.id == list_id, _visible(actor))
    )
    if found is None:
        raise ShoppingListNotFound()
    return found


# --- Lists -----------------------------------------------------------------------------------


async def list_lists(
    session: AsyncSession, *, actor: Actor, household_id: int | None
) -> list[ListSummary]:
    """The lists of one household, or of every household of ``actor`` (not every household
    for an admin: theirs), by name; with how many items are open and checked."""
    if household_id is not None:
        await require_household(session, actor, household_id)
        scope = ShoppingList.household_id == household_id
    else:
        scope = ShoppingList.household_id.in_(sorted(actor.household_ids))
    live = ShoppingItem.deleted_at.is_(None)
    counts = (
        select(
            ShoppingItem.list_id,
            func.count().filter(~ShoppingItem.checked).label("open"),
            func.count().filter(ShoppingItem.checked).label("checked"),
        )
        .where(live)
        .group_by(ShoppingItem.list_id)
        .subquery()
    )
    rows = await session.execute(
        select(ShoppingList, counts.c.open, counts.c.checked)
        .outerjoin(counts, counts.c.list_id == ShoppingList.id)
        .where(scope)
        .order_by(func.lower(ShoppingList.name), ShoppingList.id)
    )
    return [ListSummary(found, open_ or 0, checked or 0) for found, open_, checked in rows]


async def create_list(
    session: AsyncSession, *, actor: Actor, household_id: int, name: str
) -> ShoppingList:
    await require_household(session, actor, household_id)
    created = ShoppingList(household_id=household_id, name=name)
    session.add(created)
    await session.flush()
    return created


async def delete_list(session: AsyncSession, *, actor: Actor, list_id: int) -> None:
    """Delete a list and everything on it (devices learn it from the list's 404)."""
    found = await get_list(session, actor=actor, list_id=list_id)
    await session.delete(found)
    await session.flush()


@dataclass(frozen=True, slots=True)
class ListView:
    shopping_list: ShoppingList
    checked_total: int


async def read_list(session: AsyncSession, *, actor: Actor, list_id: int) -> ListView:
    """A list and how many of its items are checked: one query."""
    checked = (
        select(func.count())
        .where(
            ShoppingItem.list_id == ShoppingList.id,
            ShoppingItem.deleted_at.is_(None),
            ShoppingItem.checked == true(),
        )
        .scalar_subquery()
    )
    found = (
        await session.execute(
            select(ShoppingList, checked).where(ShoppingList.id == list_id, _visible(actor))
        )
    ).first()
    if found is None:
        raise ShoppingListNotFound()
    return ListView(found[0], found[1])


async def changes_since(
    session: AsyncSession, *, actor: Actor, list_id: int, since: int
) -> Changes:
    """What changed on the list after its operation ``since``: the items added or changed
    (checked or not) and the ids of those removed. Once the markers of removed items after
    ``since`` have been swept, the list must be read whole again (410)."""
    shopping_list = await get_list(session, actor=actor, list_id=list_id)
    if since < shopping_list.swept_seq:
        raise ChangesForgotten(
            f"Changes before {shopping_list.swept_seq} are no longer kept; read the whole list."
        )
    rows = await session.scalars(
        select(ShoppingItem)
        .where(ShoppingItem.list_id == list_id, ShoppingItem.changed_seq > since)
        .order_by(ShoppingItem.position, ShoppingItem.id)
    )
    items, removed = [], []
    for item in rows:
        if item.deleted_at is None:
            items.append(item)
        else:
            removed.append(item.id)
    return Changes(shopping_list.sequence, items, removed)


# --- Operations ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """An operation under way: the list's row locked, the operation's number taken."""

    shopping_list: ShoppingList
    sequence: int
    op_id: str
    actor: Actor
    now: dt.datetime


async def begin(
    session: AsyncSession, actor: Actor, list_id: int, op_id: str | None
) -> Step | Done:
    """Take the list's next number, or, for an operation already done, what it did."""
    now = utcnow()
    shopping_list = await session.scalar(
        update(ShoppingList)
        .where(ShoppingList.id == list_id, _visible(actor))
        .values(sequence=ShoppingList.sequence + 1, updated_at=now)
        .returning(ShoppingList)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if shopping_list is None:
        raise ShoppingListNotFound()
    taken = shopping_list.sequence
    if op_id is not None:
        # The list's row is locked now: the same id sent twice at once waits here for the
        # first, and then sees it.
        done = await session.get(ShoppingOperation, (list_id, op_id))
        if done is not None:
            shopping_list.sequence = taken - 1  # nothing happens this time: no number taken
            item = None if done.item_id is None else await session.get(ShoppingItem, done.item_id)
            return Done(done.sequence, item, repeated=True)
    return Step(shopping_list, taken, op_id or f"server:{uuid.uuid4()}", actor, now)


def end(session: AsyncSession, step: Step, kind: OperationKind, item: ShoppingItem | None) -> Done:
    session.add(
        ShoppingOperation(
            list_id=step.shopping_list.id,
            op_id=step.op_id,
            sequence=step.sequence,
            kind=kind,
            item_id=None if item is None else item.id,
            user_id=step.actor.user_id,
        )
    )
    return Done(step.sequence, item, repeated=False)


async def rename_list(
    session: AsyncSession, *, actor: Actor, list_id: int, name: str
) -> ShoppingList:
    step = await begin(session, actor, list_id, None)
    assert isinstance(step, Step)  # no op id: never a repeat
    step.shopping_list.name = name
    end(session, step, "rename_list", None)
    await session.flush()
    return step.shopping_list


@dataclass(frozen=True, slots=True)
class _Typed:
    """What was typed, read: its amount as a part of an item, and its food (the household's
    when its foods vocabulary knows it; a line with no amount is all food)."""

    text: str
    part: ItemPart
    food: str
    food_id: int | None


async def _read(session: AsyncSession, household_id: int, text: str) -> _Typed:
    """An amount that cannot be added up ("0 eggs") is kept as text alone."""
    parsed = parse_ingredient(text)
    food = (parsed.food or text)[:FOOD_LENGTH]
    amount = part(
        text,
        quantity=parsed.quantity,
        unit=parsed.unit if parsed.unit and len(parsed.unit) <= UNIT_LENGTH else None,
        size=parsed.size if parsed.size and len(parsed.size) <= SIZE_LENGTH else None,
        food=food,
    )
    known = await find_foods(session, household_id, [food])
    found = known.get(term_key(food))
    return _Typed(text, amount, food, None if found is None else found.id)


def _typed_source(item: ShoppingItem, typed: _Typed) -> ShoppingItemSource:
    amount = typed.part
    return ShoppingItemSource(
        item_id=item.id,
        addition_id=None,
        text=typed.text,
        quantity=amount.quantity,
        quantity_max=amount.quantity_max,
        unit=amount.unit,
        size=amount.size,
        food=amount.food,
    )


def _name(item: ShoppingItem, typed: _Typed) -> None:
    item.text = typed.text
    item.food, item.food_id, item.food_key = typed.food, typed.food_id, foods.food_key(typed.food)


def _open_of_food(
    items: Any, list_id: int, food_key: str, food_id: int | None
) -> tuple[ColumnElement[bool], ...]:
    """Which of ``items`` (the items' table or an alias of it) are open items of the list
    for this food (by the household's food, or its key)."""
    same = items.food_key == food_key
    if food_id is not None:
        same = same | (items.food_id == food_id)
    return (items.list_id == list_id, items.deleted_at.is_(None), items.checked == false(), same)


async def open_item_of(
    session: AsyncSession, list_id: int, *, food_key: str, food_id: int | None
) -> ShoppingItem | None:
    """The open item of the list for this food (by the household's food, or its key)."""
    item, _ = await _open_item_or_next(session, list_id, food_key=food_key, food_id=food_id)
    return item


async def _open_item_or_next(
    session: AsyncSession, list_id: int, *, food_key: str, food_id: int | None
) -> tuple[ShoppingItem | None, int]:
    """The open item of the list for this food (the first, in the list's order), and the
    position after the list's last live item (where a new one goes): one query."""
    first = aliased(ShoppingItem)
    match = (
        select(first.id)
        .where(*_open_of_food(first, list_id, food_key, food_id))
        .order_by(first.position, first.id)
        .limit(1)
        .scalar_subquery()
    )
    end = (
        select(func.coalesce(func.max(ShoppingItem.position) + 1, 0).label("next"))
        .where(ShoppingItem.list_id == list_id, ShoppingItem.deleted_at.is_(None))
        .subquery()
    )
    found = aliased(ShoppingItem)
    item, position = (
        await session.execute(
            select(found, end.c.next).select_from(end).outerjoin(found, found.id == match)
        )
    ).one()
    return item, position


async def add_item(
    session: AsyncSession,
    *,
    actor: Actor,
    list_id: int,
    text: str,
    note: str | None,
    aisle: str | None,
    op_id: str | None,
) -> Done:
    """Add what was typed: to the open item of its food, if there is one (its amounts then
    merge), else as a new item at the end of the open ones (an item checked off stays so:
    typing it again puts it on the list afresh). It goes in the aisle given (which its food
    goes in from now on), or else the aisle its food was last given."""
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return step
    household_id = step.shopping_list.household_id
    typed = await _read(session, household_id, text)
    item, position = await _open_item_or_next(
        session, list_id, food_key=foods.food_key(typed.food), food_id=typed.food_id
    )
    # Counted (and the aisle kept) before the item is written: the aisle goes in with it.
    food = typed.food if item is None else item.food
    aisles = await foods.bought(session, household_id, [food], aisle=aisle)
    if item is None:
        item = ShoppingItem(
            list_id=list_id,
            position=position,
            created_by_id=actor.user_id,
            aisle=aisles.get(foods.food_key(food)) if food else None,
        )
        _name(item, typed)
        session.add(item)
    if note is not None:
        item.note = note
    if aisle is not None:
        item.aisle = aisle
    item.changed_seq = step.sequence
    await session.flush()
    session.add(_typed_source(item, typed))
    await session.flush()
    return end(session, step, "add_item", item)


async def _live_item(session: AsyncSession, list_id: int, item_id: int) -> ShoppingItem:
    item = await session.get(ShoppingItem, item_id)
    if item is None or item.list_id != list_id or item.deleted_at is not None:
        raise ShoppingItemNotFound()
    return item


async def change_item(
    session: AsyncSession,
    *,
    actor: Actor,
    list_id: int,
    item_id: int,
    changes: Mapping[str, Any],
    op_id: str | None,
) -> Done:
    """Change an item's text (its typed amount: what recipes brought stays), note, aisle,
    checked state or place (the other open items keep their order around it)."""
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return step
    item = await _live_item(session, list_id, item_id)
    if "text" in changes:
        # What was typed is replaced; what recipes brought stays.
        typed = await _read(session, step.shopping_list.household_id, changes["text"])
        await session.execute(
            delete(ShoppingItemSource).where(
                ShoppingItemSource.item_id == item.id, ShoppingItemSource.addition_id.is_(None)
            )
        )
        _name(item, typed)
        session.add(_typed_source(item, typed))
    if "note" in changes:
        item.note = changes["note"]
    if "aisle" in changes:
        item.aisle = changes["aisle"]
        await foods.remember_aisle(session, step.shopping_list.household_id, item.food, item.aisle)
    if "checked" in changes and changes["checked"] != item.checked:
        item.checked = changes["checked"]
        item.checked_at = utcnow() if item.checked else None
    if "position" in changes:
        await _move(session, item, changes["position"], step.sequence)
    item.changed_seq = step.sequence
    await session.flush()
    return end(session, step, "change_item", item)


async def _move(session: AsyncSession, item: ShoppingItem, position: int, sequence: int) -> None:
    """Put ``item`` at ``position`` among the list's open items (past the end: last). The
    open items are numbered again from 0, and those whose number changes count as changed
    by this operation."""
    rows = await session.scalars(
        select(ShoppingItem.id)
        .where(
            ShoppingItem.list_id == item.list_id,
            ShoppingItem.deleted_at.is_(None),
            ShoppingItem.checked == false(),
            ShoppingItem.id != item.id,
        )
        .order_by(ShoppingItem.position, ShoppingItem.id)
    )
    order = list(rows)
    order.insert(min(position, len(order)), item.id)
    current = dict(
        (
            await session.execute(
                select(ShoppingItem.id, ShoppingItem.position).where(ShoppingItem.id.in_(order))
            )
        ).all()
    )
    moved = {item_id: n for n, item_id in enumerate(order) if current.get(item_id) != n}
    others = {item_id: n for item_id, n in moved.items() if item_id != item.id}
    if others:
        await session.execute(
            update(ShoppingItem)
            .where(ShoppingItem.id.in_(others))
            .values(position=case(others, value=ShoppingItem.id), changed_seq=sequence)
            .execution_options(synchronize_session=False)
        )
    item.position = moved.get(item.id, item.position)


async def remove_item(
    session: AsyncSession, *, actor: Actor, list_id: int, item_id: int, op_id: str | None
) -> Done:
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return step
    item = await _live_item(session, list_id, item_id)
    mark_removed(item, step.sequence, utcnow())
    await session.flush()
    return end(session, step, "remove_item", item)


def mark_removed(item: ShoppingItem, sequence: int, now: dt.datetime) -> None:
    item.deleted_at = now
    item.deleted_seq = sequence
    item.changed_seq = sequence


async def clear_checked(
    session: AsyncSession, *, actor: Actor, list_id: int, op_id: str | None
) -> Done:
    """Remove every checked item at once: one operation."""
    step = await begin(session, actor, list_id, op_id)
    if isinstance(step, Done):
        return step
    await session.execute(
        update(ShoppingItem)
        .where(
            ShoppingItem.list_id == list_id,
            ShoppingItem.checked == true(),
            ShoppingItem.deleted_at.is_(None),
        )
        .values(deleted_at=utcnow(), deleted_seq=step.sequence, changed_seq=step.sequence)
        .execution_options(synchronize_session=False)
    )
    return end(session, step, "clear_checked", None)


# --- Upkeep ----------------------------------------------------------------------------------


async def sweep_markers(session: AsyncSession, *, now: dt.datetime) -> int:
    """Forget items removed, and operations made, more than ``TOMBSTONE_DAYS`` ago; each list
    remembers the last number it forgot, so that asking for changes from before it is told
    to read the list whole. Returns how many items were forgotten."""
    horizon = now - dt.timedelta(days=TOMBSTONE_DAYS)
    swept = (
        await session.execute(
            select(ShoppingItem.list_id, func.max(ShoppingItem.deleted_seq))
            .where(ShoppingItem.deleted_at < horizon)
            .group_by(ShoppingItem.list_id)
        )
    ).all()
    for list_id, through in swept:
        await session.execute(
            update(ShoppingList)
            .where(ShoppingList.id == list_id, ShoppingList.swept_seq < through)
            .values(swept_seq=through)
            .execution_options(synchronize_session=False)
        )
    forgotten = await session.execute(
        delete(ShoppingItem)
        .where(ShoppingItem.deleted_at < horizon)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(ShoppingOperation)
        .where(ShoppingOperation.created_at < horizon)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(forgotten, "rowcount", 0) or 0)
