"""/api/v1/shopping-lists: a household's shopping lists and their items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import NotAuthenticated, identity_found
from recipevault.accounts.models import UnitSystem as UnitPreference
from recipevault.deps import CurrentUser, SessionDep, read_viewer
from recipevault.http.pagination import (
    CursorQuery,
    InvalidCursor,
    Page,
    decode_cursor,
    encode_cursor,
)
from recipevault.http.querystring import QueryString, path_id, path_id_parameter
from recipevault.http.routing import direct_get
from recipevault.http.schemas import Id
from recipevault.policy import Actor
from recipevault.recipes.units import UnitSystem
from recipevault.shopping import additions, foods, lines, listing, service
from recipevault.shopping.models import ShoppingItem
from recipevault.shopping.schemas import (
    ItemCreate,
    ItemRead,
    ItemUpdate,
    ListChanges,
    ListReadQuery,
    Operation,
    OpId,
    PlanAdd,
    RecipeAdd,
    ShoppingListAdded,
    ShoppingListCreate,
    ShoppingListDetail,
    ShoppingListList,
    ShoppingListRead,
    ShoppingListSummary,
    ShoppingListUpdate,
    UsualItem,
    UsualItems,
)

router = APIRouter(prefix="/api/v1/shopping-lists", tags=["shopping lists"])
LIST = "/{list_id:int}"
CHECKED_SHOWN = 50  # checked items a list shows; /checked pages through the rest
ITEM = LIST + "/items/{item_id:int}"
READ_QUERY = QueryString(ListReadQuery)
JSON = "application/json"
OpIdQuery = Annotated[OpId | None, Query()]


def item_read(line: lines.Line) -> ItemRead:
    return ItemRead.model_validate(listing.item_fields(line))


def _units_of(request: Request) -> UnitSystem:
    """The units the reader reads in (their preference; as written by default)."""
    identity = identity_found(request)
    return lines.reading_units(identity.unit_system if identity else UnitPreference.ORIGINAL)


async def _reader_units(request: Request, actor: CurrentUser) -> UnitSystem:
    return _units_of(request)


ReaderUnits = Annotated[UnitSystem, Depends(_reader_units)]


async def _items_read(
    session: AsyncSession, items: Sequence[ShoppingItem], units: UnitSystem
) -> list[ItemRead]:
    return [item_read(line) for line in await lines.lines_of(session, items, units)]


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


async def _done_item(session: AsyncSession, done: service.Done, units: UnitSystem) -> ItemRead:
    if done.item is None or done.item.deleted_at is not None:
        # Sent again after its item was removed: the item is gone, as it is for everyone.
        raise service.ShoppingItemNotFound()
    (read,) = await _items_read(session, [done.item], units)
    return read


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


@direct_get(
    router,
    LIST,
    signed_in=True,
    response_model=ShoppingListDetail,
    responses={404: {}},
    openapi_extra={"parameters": [path_id_parameter("list_id"), *READ_QUERY.openapi["parameters"]]},
)
async def read_shopping_list(request: Request) -> Response:
    """The list: its open items in the list's order (or, for a store, aisle by aisle as one
    walks it, items of aisles it does not name next and of no aisle last), then the 50 items
    checked last, the last first (`checked_total` counts them all; `/checked` pages through
    the rest)."""
    # A hot read (thousands of items on every visit): the caller, the query string and the
    # database are taken straight from the request, as the plan's and the recipes' reads do.
    actor = await read_viewer(request)
    if actor is None:
        raise NotAuthenticated()
    list_id = path_id(request, "list_id")
    query = READ_QUERY.parse(request)
    body = await listing.list_json(
        request.app.state.database,
        actor=actor,
        list_id=list_id,
        system=_units_of(request),
        checked_shown=CHECKED_SHOWN,
        store_id=query.store_id,
    )
    return Response(body, media_type=JSON)


@router.get(LIST + "/checked", response_model=Page[ItemRead], responses={404: {}})
async def checked_items(
    list_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    units: ReaderUnits,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = CHECKED_SHOWN,
) -> Page[ItemRead]:
    """The list's checked items, the last checked first, a page at a time."""
    found = await service.get_list(session, actor=actor, list_id=list_id)
    before = None
    if cursor is not None:
        values = decode_cursor(cursor, keys=("at", "id"))
        before = (_cursor_time(values["at"]), values["id"])
    page = await lines.checked_lines(session, found.id, units, before=before, limit=limit + 1)
    more = len(page) > limit
    shown = page[:limit]
    last = shown[-1].item if more else None
    next_cursor = None
    if last is not None and last.checked_at is not None:
        next_cursor = encode_cursor({"at": last.checked_at.isoformat(), "id": last.id})
    return Page[ItemRead](items=[item_read(line) for line in shown], next=next_cursor)


def _cursor_time(value: object) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidCursor() from None
    if moment.tzinfo is None:
        raise InvalidCursor()
    return moment


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
    units: ReaderUnits,
    since: Annotated[int, Query(ge=0, description="The last change the device has seen")],
) -> ListChanges:
    """What changed after change ``since``: items added or changed, and the ids of those
    removed. 410 when removals from that far back are no longer kept (after 30 days): read
    the whole list instead."""
    changes = await service.changes_since(session, actor=actor, list_id=list_id, since=since)
    return ListChanges(
        sequence=changes.sequence,
        items=await _items_read(session, changes.items, units),
        removed=changes.removed,
    )


@router.post(
    LIST + "/items",
    status_code=status.HTTP_201_CREATED,
    response_model=ItemRead,
    responses={404: {}},
)
async def add_shopping_item(
    list_id: Id, data: ItemCreate, actor: CurrentUser, session: SessionDep, units: ReaderUnits
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
    return await _done_item(session, done, units)


@router.patch(ITEM, response_model=ItemRead, responses={404: {}})
async def change_shopping_item(
    list_id: Id,
    item_id: Id,
    data: ItemUpdate,
    actor: CurrentUser,
    session: SessionDep,
    units: ReaderUnits,
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
    return await _done_item(session, done, units)


@router.delete(ITEM, status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
async def remove_shopping_item(
    list_id: Id,
    item_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    op_id: OpIdQuery = None,
) -> Response:
    await service.remove_item(session, actor=actor, list_id=list_id, item_id=item_id, op_id=op_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@dataclass(frozen=True, slots=True)
class ListChange:
    """A change to a whole list (clearing it, putting recipes and plans on and taking them
    off), which answers with the list as it is then: the list, who changes it, the unit of
    work it is made in, and the units the answer is read in."""

    list_id: int
    actor: Actor
    session: AsyncSession
    units: UnitSystem

    async def answer(self, brought: additions.Brought | None = None) -> Response:
        """The list after the change (``ShoppingListDetail``); after putting recipes on it,
        with the lines they offered instead (``ShoppingListAdded``)."""
        view = await service.read_list(self.session, actor=self.actor, list_id=self.list_id)
        shown = await lines.list_lines(
            self.session, self.list_id, self.units, checked_shown=CHECKED_SHOWN
        )
        body = listing.list_fields(view, shown)
        if brought is not None:
            body["offered"] = [
                {
                    "recipe_id": line.recipe_id,
                    "position": line.position,
                    "text": line.text,
                    "reason": line.reason,
                }
                for line in brought.offered
            ]
        return Response(orjson.dumps(body), media_type=JSON)


async def _list_change(
    list_id: Id, actor: CurrentUser, session: SessionDep, units: ReaderUnits
) -> ListChange:
    return ListChange(list_id, actor, session, units)


Changing = Annotated[ListChange, Depends(_list_change)]


@router.post(LIST + "/clear-checked", response_model=ShoppingListDetail, responses={404: {}})
async def clear_checked_items(data: Operation, change: Changing) -> Response:
    """Remove every checked item."""
    await service.clear_checked(
        change.session, actor=change.actor, list_id=change.list_id, op_id=data.op_id
    )
    return await change.answer()


@router.post(LIST + "/recipes", response_model=ShoppingListAdded, responses={404: {}})
async def add_recipe_to_list(data: RecipeAdd, change: Changing) -> Response:
    """Put a recipe's ingredients on the list, scaled to `servings` (the recipe's own when left
    out). Each joins the item of its food already on the list (an item checked off stays
    checked) or starts one. Optional lines, those with no amount "to taste", and the
    household's staples are offered instead (`offered`); name their positions in `include`
    to add them. Adding a recipe twice adds it twice: send an `op_id` to make a retry safe."""
    brought = await additions.add_recipe(
        change.session,
        actor=change.actor,
        list_id=change.list_id,
        recipe_id=data.recipe_id,
        servings=data.servings,
        include=set(data.include),
        op_id=data.op_id,
    )
    return await change.answer(brought)


@router.delete(
    LIST + "/recipes/{recipe_id:int}", response_model=ShoppingListDetail, responses={404: {}}
)
async def remove_recipe_from_list(
    recipe_id: Id, change: Changing, op_id: OpIdQuery = None
) -> Response:
    """Take a recipe off the list, however it came (directly or planned): exactly what it
    brought is subtracted, and an item only it brought is removed."""
    await additions.remove_recipe(
        change.session, actor=change.actor, list_id=change.list_id, recipe_id=recipe_id, op_id=op_id
    )
    return await change.answer()


@router.post(LIST + "/meal-plan", response_model=ShoppingListAdded, responses={404: {}})
async def add_plan_to_list(data: PlanAdd, change: Changing) -> Response:
    """Put every recipe planned from `start` to `end` (the list's household's plan) on the
    list at its planned servings. A planned meal already on the list adds nothing again, and
    leftovers add nothing."""
    brought = await additions.add_plan(
        change.session,
        actor=change.actor,
        list_id=change.list_id,
        start=data.start,
        end_date=data.end,
        op_id=data.op_id,
    )
    return await change.answer(brought)


@router.delete(
    LIST + "/meal-plan/{entry_id:int}", response_model=ShoppingListDetail, responses={404: {}}
)
async def remove_plan_entry_from_list(
    entry_id: Id, change: Changing, op_id: OpIdQuery = None
) -> Response:
    """Take a planned meal off the list: exactly what it brought is subtracted."""
    await additions.remove_plan_entry(
        change.session, actor=change.actor, list_id=change.list_id, entry_id=entry_id, op_id=op_id
    )
    return await change.answer()
