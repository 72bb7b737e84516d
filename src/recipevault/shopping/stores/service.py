"""A household's stores: a name and the aisles in the order one walks them, by which a list
can be read in that order. Members keep them; to anyone else they do not exist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.errors import Conflict, NotFound
from recipevault.households.service import require_household
from recipevault.policy import Actor
from recipevault.shopping.lines import Line
from recipevault.shopping.models import ShoppingStore


class StoreNotFound(NotFound):
    title = "Store not found"


class StoreNameTaken(Conflict):
    title = "Store name taken"


async def list_stores(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> list[ShoppingStore]:
    await require_household(session, actor, household_id)
    rows = await session.scalars(
        select(ShoppingStore)
        .where(ShoppingStore.household_id == household_id)
        .order_by(func.lower(ShoppingStore.name), ShoppingStore.id)
    )
    return list(rows)


async def get_store(
    session: AsyncSession, *, actor: Actor, household_id: int, store_id: int
) -> ShoppingStore:
    await require_household(session, actor, household_id)
    store = await session.get(ShoppingStore, store_id)
    if store is None or store.household_id != household_id:
        raise StoreNotFound()
    return store


async def _check_name(
    session: AsyncSession, household_id: int, name: str, store_id: int | None = None
) -> None:
    taken = await session.scalar(
        select(ShoppingStore.id).where(
            ShoppingStore.household_id == household_id,
            func.lower(ShoppingStore.name) == name.lower(),
            ShoppingStore.id != (store_id or 0),
        )
    )
    if taken is not None:
        raise StoreNameTaken(f"The household already has a store called {name!r}.")


async def add_store(
    session: AsyncSession, *, actor: Actor, household_id: int, name: str, aisles: Sequence[str]
) -> ShoppingStore:
    await require_household(session, actor, household_id)
    await _check_name(session, household_id, name)
    store = ShoppingStore(household_id=household_id, name=name, aisles=list(aisles))
    session.add(store)
    await session.flush()
    return store


async def change_store(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    store_id: int,
    changes: Mapping[str, Any],
) -> ShoppingStore:
    store = await get_store(session, actor=actor, household_id=household_id, store_id=store_id)
    if "name" in changes:
        await _check_name(session, household_id, changes["name"], store_id)
        store.name = changes["name"]
    if "aisles" in changes:
        store.aisles = list(changes["aisles"])
    await session.flush()
    return store


async def remove_store(
    session: AsyncSession, *, actor: Actor, household_id: int, store_id: int
) -> None:
    store = await get_store(session, actor=actor, household_id=household_id, store_id=store_id)
    await session.delete(store)
    await session.flush()


def walk_order(shown: Sequence[Line], aisles: Sequence[str]) -> list[Line]:
    """``shown`` (open items in the list's order, then checked ones) with the open ones in the
    order of the store's ``aisles``: those of an aisle the store does not name next, by aisle
    name, and those of no aisle last. Within an aisle the list's order holds."""
    rank = {aisle.casefold(): n for n, aisle in enumerate(aisles)}
    unnamed = len(rank)

    def place(line: Line) -> tuple[int, str]:
        aisle = line.item.aisle
        if aisle is None:
            return (unnamed + 1, "")
        key = aisle.casefold()
        return (rank[key], "") if key in rank else (unnamed, key)

    open_lines = [line for line in shown if not line.item.checked]
    checked = [line for line in shown if line.item.checked]
    return sorted(open_lines, key=place) + checked
