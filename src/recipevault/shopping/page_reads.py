"""What the shopping pages read that no API route reads as such: one item as its reader reads
it, for its edit form."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Actor
from recipevault.recipes.units import UnitSystem
from recipevault.shopping import lines, service
from recipevault.shopping.models import ShoppingItem, ShoppingList


@dataclass(frozen=True, slots=True)
class ItemOfList:
    shopping_list: ShoppingList
    line: lines.Line


async def read_item(
    session: AsyncSession, *, actor: Actor, list_id: int, item_id: int, system: UnitSystem
) -> ItemOfList:
    """An item of a list the actor may read, as they read it; a removed one is not found."""
    shopping_list = await service.get_list(session, actor=actor, list_id=list_id)
    item = await session.get(ShoppingItem, item_id)
    if item is None or item.list_id != list_id or item.deleted_at is not None:
        raise service.ShoppingItemNotFound()
    (line,) = await lines.lines_of(session, [item], system)
    return ItemOfList(shopping_list, line)
