"""A shopping list as the API answers it (``schemas.ShoppingListDetail``, ``ItemRead``), made
of plain values and serialized by orjson.

A list is read whole on every visit, and a long one has thousands of items: a response model
per item and per source, validated again by FastAPI on the way out, cost more than reading and
merging them. The values here are those the schemas serialize, in their fields' order (tests
hold the two to each other); ``api.py`` builds its response models from them where it answers
one item.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, true

from recipevault.db import Database
from recipevault.policy import Actor
from recipevault.recipes.units import UnitSystem
from recipevault.shopping import lines
from recipevault.shopping.models import ShoppingItem, ShoppingList
from recipevault.shopping.service import ListView, ShoppingListNotFound, visible_lists
from recipevault.shopping.stores import service as stores


def item_fields(line: lines.Line) -> dict[str, Any]:
    """An item as ``ItemRead`` serializes it."""
    item, merged = line.item, line.merged
    return {
        "id": item.id,
        "text": merged.text,
        "quantity": None if merged.quantity is None else float(merged.quantity),
        "unit": merged.unit,
        "amounts": list(merged.amounts),
        "food": item.food,
        "food_id": item.food_id,
        "note": item.note,
        "aisle": item.aisle,
        "checked": item.checked,
        "position": item.position,
        "sequence": item.changed_seq,
        "sources": [
            {
                "recipe_id": source.recipe_id,
                "plan_entry_id": source.plan_entry_id,
                "servings": None if source.servings is None else float(source.servings),
            }
            for source in line.sources
        ],
    }


def list_fields(view: ListView, shown: Sequence[lines.Line]) -> dict[str, Any]:
    """A list and the lines it shows as ``ShoppingListDetail`` serializes them."""
    found = view.shopping_list
    return _fields(
        found.id, found.household_id, found.name, found.sequence, view.checked_total, shown
    )


def _fields(
    list_id: int,
    household_id: int,
    name: str,
    sequence: int,
    checked_total: int,
    shown: Sequence[lines.Line],
) -> dict[str, Any]:
    return {
        "id": list_id,
        "household_id": household_id,
        "name": name,
        "sequence": sequence,
        "items": [item_fields(line) for line in shown],
        "checked_total": checked_total,
    }


@cache
def _header(admin: bool) -> Any:
    """The list ``:list_id`` if the viewer may read it (its households as ``:households``),
    and how many of its items are checked; built once for admins and once for the others."""
    checked = (
        select(func.count())
        .where(
            ShoppingItem.list_id == bindparam("list_id"),
            ShoppingItem.deleted_at.is_(None),
            ShoppingItem.checked == true(),
        )
        .scalar_subquery()
    )
    households: Any = None if admin else bindparam("households", expanding=True)
    return select(
        ShoppingList.id,
        ShoppingList.household_id,
        ShoppingList.name,
        ShoppingList.sequence,
        checked,
    ).where(ShoppingList.id == bindparam("list_id"), visible_lists(admin, households))


async def list_json(
    database: Database,
    *,
    actor: Actor,
    list_id: int,
    system: UnitSystem,
    checked_shown: int,
    store_id: int | None = None,
) -> bytes:
    """The list as ``actor`` reads it in ``system`` (``ShoppingListDetail``; for a store, its
    open items in the store's aisles' order), as committed: two queries (a third for a store).
    The list is read before its lines, so that its ``sequence`` is never newer than they are:
    a device that asks what changed since then is told again, never less."""
    parameters: dict[str, Any] = {"list_id": list_id}
    if not actor.is_admin:
        # A member of no household matches no list (an empty IN list is not portable).
        parameters["households"] = sorted(actor.household_ids) or [-1]
    found = await database.first(_header(actor.is_admin), parameters)
    if found is None:
        raise ShoppingListNotFound()
    found_id, household_id, name, sequence, checked_total = found
    shown = await lines.list_lines(database, found_id, system, checked_shown=checked_shown)
    if store_id is not None:
        async with database.session(write=False) as session:
            store = await stores.get_store(
                session, actor=actor, household_id=household_id, store_id=store_id
            )
        shown = stores.walk_order(shown, store.aisles)
    return orjson.dumps(_fields(found_id, household_id, name, sequence, checked_total, shown))
