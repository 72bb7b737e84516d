"""/api/v1/shopping-lists: a household's shopping lists and their items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from recipevault.deps import CurrentUser, SessionDep
from recipevault.http.schemas import Id
from recipevault.shopping import foods, service
from recipevault.shopping.models import ShoppingItem, ShoppingList
from recipevault.shopping.schemas import (
    ItemCreate,
    ItemRead,
    ItemUpdate,
    ListChanges,
    Operation,
    OpId,
    ShoppingListCreate,
    ShoppingListDetail,
    ShoppingListList,
    ShoppingListRead,
    ShoppingListSummary,
    ShoppingListUpdate,
    UsualItem,
    UsualItems,
)
from recipevault.shopping.stores import service as stores

router = APIRouter(prefix="/api/v1/shopping-lists", tags=["shopping lists"])
LIST = "/{list_id:int}"
ITEM = LIST + "/items/{item_id:int}"


def item_read(item: ShoppingItem) -> ItemRead:
    return ItemRead(
        id=item.id,
        text=item.text,
        quantity=None if item.quantity is None else float(item.quantity),
        unit=item.unit,
        food=item.food,
        food_id=item.food_id,
        note=item.note,
        aisle=item.aisle,
        checked=item.checked,
        position=item.position,
        sequence=item.changed_seq,
    )


def _summary(summary: service.ListSummary) -> ShoppingListSummary:
    found = summary.shopping_list
    return ShoppingListSummary(
        id=found.id,
        household_id=found.household_id,
        name=found.name,
        sequence=found.sequence,
        open_items=summary.open_items,
        checked_items=summary.checked_items,
    )


def _detail(found: ShoppingList, items: list[ShoppingItem]) -> ShoppingListDetail:
    return ShoppingListDetail(
        id=found.id,
        household_id=found.household_id,
        name=found.name,
        sequence=found.sequence,
        items=[item_read(item) for item in items],
    )


def _done_item(done: service.Done) -> ItemRead:
    if done.item is None or done.item.deleted_at is not None:
        # Sent again after its item was removed: the item is gone, as it is for everyone.
        raise service.ShoppingItemNotFound()
    return item_read(done.item)


@router.get("", response_model=ShoppingListList, responses={404: {}})
async def list_shopping_lists(
    actor: CurrentUser,
    session: SessionDep,
    household_id: Annotated[Id | None, Query(description="One household's lists")] = None,
) -> ShoppingListList:
    """The lists of a household, or of every household you are in; by name."""
    found = await service.list_lists(session, actor=actor, household_id=household_id)
    return ShoppingListList(items=[_summary(summary) for summary in found])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ShoppingListRead,
    responses={404: {}},
)
async def create_shopping_list(
    data: ShoppingListCreate, actor: CurrentUser, session: SessionDep
) -> ShoppingListRead:
    created = await service.create_list(
        session, actor=actor, household_id=data.household_id, name=data.name
    )
    return ShoppingListRead.model_validate(created)


@router.get(LIST, response_model=ShoppingListDetail, responses={404: {}})
async def read_shopping_list(
    list_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    store_id: Annotated[
        Id | None,
        Query(description="A store of the household's: open items come in its aisles' order"),
    ] = None,
) -> ShoppingListDetail:
    """The list: its open items in the list's order (or, for a store, aisle by aisle as one
    walks it, items of aisles it does not name next and of no aisle last), then the checked
    ones, the last checked first."""
    found = await service.get_list(session, actor=actor, list_id=list_id)
    items = await service.read_items(session, found)
    if store_id is not None:
        store = await stores.get_store(
            session, actor=actor, household_id=found.household_id, store_id=store_id
        )
        items = stores.walk_order(items, store.aisles)
    return _detail(found, items)


@router.get(LIST + "/suggestions", response_model=UsualItems, responses={404: {}})
async def suggest_items(
    list_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="What has been typed")],
) -> UsualItems:
    """What the household usually buys with a word starting with what has been typed, the
    most often bought first: for suggesting items as someone types."""
    found = await service.get_list(session, actor=actor, list_id=list_id)
    usual = await foods.usual_items(session, found.household_id, q)
    return UsualItems(items=[UsualItem(name=u.name, aisle=u.aisle, uses=u.uses) for u in usual])


@router.patch(LIST, response_model=ShoppingListRead, responses={404: {}})
async def rename_shopping_list(
    list_id: Id, data: ShoppingListUpdate, actor: CurrentUser, session: SessionDep
) -> ShoppingListRead:
    renamed = await service.rename_list(session, actor=actor, list_id=list_id, name=data.name)
    return ShoppingListRead.model_validate(renamed)


@router.delete(LIST, status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
async def delete_shopping_list(list_id: Id, actor: CurrentUser, session: SessionDep) -> Response:
    await service.delete_list(session, actor=actor, list_id=list_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(LIST + "/changes", response_model=ListChanges, responses={404: {}, 410: {}})
async def shopping_list_changes(
    list_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    since: Annotated[int, Query(ge=0, description="The last change the device has seen")],
) -> ListChanges:
    """What changed after change ``since``: items added or changed, and the ids of those
    removed. 410 when removals from that far back are no longer kept (after 30 days): read
    the whole list instead."""
    changes = await service.changes_since(session, actor=actor, list_id=list_id, since=since)
    return ListChanges(
        sequence=changes.sequence,
        items=[item_read(item) for item in changes.items],
        removed=changes.removed,
    )


@router.post(
    LIST + "/items",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemRead,
    responses={404: {}},
)
async def add_shopping_item(
    list_id: Id, data: ItemCreate, actor: CurrentUser, session: SessionDep
) -> ItemRead:
    """Add an item as typed ("2 lb chicken thighs"); its amount, unit and food are read from
    the text."""
    done = await service.add_item(
        session,
        actor=actor,
        list_id=list_id,
        text=data.text,
        note=data.note,
        aisle=data.aisle,
        op_id=data.op_id,
    )
    return _done_item(done)


@router.patch(ITEM, response_model=ItemRead, responses={404: {}})
async def change_shopping_item(
    list_id: Id, item_id: Id, data: ItemUpdate, actor: CurrentUser, session: SessionDep
) -> ItemRead:
    """Check or uncheck an item, change its text, note or aisle, or move it."""
    changes = {name: getattr(data, name) for name in data.model_fields_set if name != "op_id"}
    done = await service.change_item(
        session,
        actor=actor,
        list_id=list_id,
        item_id=item_id,
        changes=changes,
        op_id=data.op_id,
    )
    return _done_item(done)


@router.delete(ITEM, status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
async def remove_shopping_item(
    list_id: Id,
    item_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    op_id: Annotated[OpId | None, Query()] = None,
) -> Response:
    await service.remove_item(session, actor=actor, list_id=list_id, item_id=item_id, op_id=op_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(LIST + "/clear-checked", response_model=ShoppingListDetail, responses={404: {}})
async def clear_checked_items(
    list_id: Id, data: Operation, actor: CurrentUser, session: SessionDep
) -> ShoppingListDetail:
    """Remove every checked item."""
    await service.clear_checked(session, actor=actor, list_id=list_id, op_id=data.op_id)
    found = await service.get_list(session, actor=actor, list_id=list_id)
    return _detail(found, await service.read_items(session, found))
