"""Browser pages of the shopping lists: a person's lists by household, and a list's page made
for a phone in a shop (check off, undo, quick add, clear what is checked). One item's pages
are in ``item_pages``; putting recipes and the plan on a list in ``adding_pages``.

Every change is one operation of the list's, with the op id its form carried from the page
that showed it, so the same form sent twice changes nothing twice. The routes read a form with
the API's schema (or the page's own, in ``page_views``), call the same services as the API, and
either render the page again with the refusal beside the form (422) or redirect with a notice
(303). A list of another household is not found (404), as on the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.clock import utcnow
from recipevault.db import Database
from recipevault.deps import DatabaseDep, MarkPage, PageUser, SessionDep
from recipevault.errors import ValidationFailed
from recipevault.households import service as households
from recipevault.http.schemas import Id
from recipevault.planner.page_views import week_start
from recipevault.recipes import page_views as recipe_views
from recipevault.recipes.line_references import readable_lines
from recipevault.recipes.units import UnitSystem
from recipevault.shopping import lines, service
from recipevault.shopping import page_views as views
from recipevault.shopping.api import CHECKED_SHOWN
from recipevault.shopping.schemas import (
    ItemCreate,
    ShoppingListCreate,
    ShoppingListUpdate,
)
from recipevault.shopping.stores import service as stores
from recipevault.web.forms import FORM_ERROR, Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

M = TypeVar("M", bound=BaseModel)
router = APIRouter(prefix=views.PAGE, include_in_schema=False, dependencies=[MarkPage])

LIST = "/{list_id:int}"
ITEM = LIST + "/items/{item_id:int}"
RESULTS = 8
RELOAD = "This form was not sent as the page made it. Reload the page and try again."
# A store's id, or empty for none (the picker's first choice).
StoreParam = Annotated[str | None, Query(max_length=12, pattern=r"^\d*$")]
SearchParam = Annotated[str | None, Query(max_length=200)]
UndoParam = Annotated[Id | None, Query()]
OfferedParam = Annotated[list[str] | None, Query(max_length=views.MAX_OFFERED)]


class FormNotMade(ValidationFailed):
    """A form without what the page puts in it (its op id, the lines it offered): not sent
    from the page as it was rendered."""

    title = "Form not sent as the page made it"


def reader_units(identity: Identity) -> UnitSystem:
    """The units the viewer reads a list in (their preference), as the API reads it."""
    return lines.reading_units(identity.unit_system)


async def operation_form(request: Request, schema: type[M]) -> Form[M]:
    """A form read with an API schema whose op id is optional there: the page's forms always
    carry one (so that sending one twice changes nothing twice)."""
    form = await read_form(request, schema)
    if form.data is not None and getattr(form.data, "op_id", None) is None:
        return form.with_error(FORM_ERROR, RELOAD)
    return form


async def _submitted(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


async def store_of(request: Request) -> int | None:
    """The store a form's page was walking (kept for the page it leads back to)."""
    value = await _submitted(request, "store")
    return int(value) if value.isdigit() and len(value) < 12 else None


# --- A person's lists ----------------------------------------------------------------------


async def lists_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    forms: Mapping[str, Form[Any]] | None = None,
    status_code: int = 200,
) -> Response:
    mine = await households.list_households(session, actor=identity.actor)
    found = await service.list_lists(session, actor=identity.actor, household_id=None)
    by_household: dict[int, list[service.ListSummary]] = {}
    for summary in found:
        by_household.setdefault(summary.shopping_list.household_id, []).append(summary)
    forms = forms or {}
    first = str(mine[0].household.id) if mine else ""
    context = {
        "groups": [(view.household, by_household.get(view.household.id, [])) for view in mine],
        "households": [(view.household.id, view.household.name) for view in mine],
        "create_form": forms.get("create") or blank_form({"household_id": first}),
        "rename_forms": forms,
        "blank": blank_form(),
    }
    return render(request, "shopping/lists.html", context, status_code=status_code)


@router.get("")
async def shopping_lists(request: Request, identity: PageUser, session: SessionDep) -> Response:
    """The lists of each of the viewer's households, and a form to make one."""
    return await lists_page(request, session, identity)


@router.post("")
async def create_list(request: Request, identity: PageUser, session: SessionDep) -> Response:
    form = await read_form(request, ShoppingListCreate)
    if form.data is None:
        return await lists_page(request, session, identity, forms={"create": form}, status_code=422)
    created = await service.create_list(
        session, actor=identity.actor, household_id=form.data.household_id, name=form.data.name
    )
    return redirect(request, views.list_url(created.id), flash=f"Made the list “{created.name}”.")


@router.post(LIST + "/rename")
async def rename_list(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    await service.get_list(session, actor=identity.actor, list_id=list_id)
    form = await read_form(request, ShoppingListUpdate)
    if form.data is None:
        return await lists_page(
            request, session, identity, forms={f"rename-{list_id}": form}, status_code=422
        )
    renamed = await service.rename_list(
        session, actor=identity.actor, list_id=list_id, name=form.data.name
    )
    return redirect(request, views.PAGE, flash=f"Renamed the list “{renamed.name}”.")


@router.post(LIST + "/delete")
async def delete_list(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    found = await service.get_list(session, actor=identity.actor, list_id=list_id)
    name = found.name
    await service.delete_list(session, actor=identity.actor, list_id=list_id)
    return redirect(request, views.PAGE, flash=f"Deleted the list “{name}”.")


# --- A list --------------------------------------------------------------------------------


async def list_page(
    request: Request,
    session: AsyncSession,
    database: Database,
    identity: Identity,
    *,
    list_id: int,
    store_id: int | None = None,
    q: str | None = None,
    undo: int | None = None,
    offered: Sequence[str] = (),
    forms: Mapping[str, Form[Any]] | None = None,
    status_code: int = 200,
) -> Response:
    """The list as its reader reads it: open items aisle by aisle (in a store's order when one
    is chosen), then the items checked last; a handful of queries however long it is."""
    actor = identity.actor
    view = await service.read_list(session, actor=actor, list_id=list_id)
    found = view.shopping_list
    shown = await lines.list_lines(
        session, found.id, reader_units(identity), checked_shown=CHECKED_SHOWN
    )
    kept = await stores.list_stores(session, actor=actor, household_id=found.household_id)
    store = next((each for each in kept if each.id == store_id), None)
    if store_id is not None and store is None:
        raise stores.StoreNotFound()
    ordered = stores.walk_order(shown, store.aisles if store is not None else ())
    open_lines = [line for line in ordered if not line.item.checked]
    checked = [line for line in ordered if line.item.checked]
    offered_refs = views.offered_refs(offered)
    on_list = {s.recipe_id for line in shown for s in line.sources if s.recipe_id is not None}
    named = await readable_lines(
        session, viewer=actor, recipe_ids=on_list | {ref.recipe_id for ref in offered_refs}
    )
    offered_lines = [
        (ref, named[ref.recipe_id].title, line.text)
        for ref in offered_refs
        if ref.recipe_id in named
        for line in named[ref.recipe_id].lines
        if line.position == ref.position
    ]
    older = None
    if view.checked_total > len(checked) and checked:
        older = views.checked_cursor(checked[-1])
    monday = week_start(utcnow().date())
    forms = forms or {}
    context = {
        "shopping_list": found,
        "groups": views.by_aisle(open_lines),
        "open_count": len(open_lines),
        "checked": checked,
        "checked_total": view.checked_total,
        "older": older,
        "stores": [(each.id, each.name) for each in kept],
        "store": store,
        "undo": next((line for line in checked if line.item.id == undo), None),
        "on_list": sorted(
            (named[recipe_id] for recipe_id in on_list if recipe_id in named),
            key=lambda recipe: recipe.title.casefold(),
        ),
        "offered": offered_lines,
        "q": q or "",
        "choices": await recipe_views.choices(database, identity.actor, q, limit=RESULTS),
        "op": views.new_op_prefix(),
        "add_form": forms.get("add") or blank_form(),
        "recipe_form": forms.get("recipe") or blank_form(),
        "plan_form": forms.get("plan")
        or blank_form({"start": monday.isoformat(), "end": (monday + dt.timedelta(6)).isoformat()}),
        "rows": views.item_rows,
    }
    return render(request, "shopping/list.html", context, status_code=status_code)


@router.get(LIST)
async def shopping_list(
    request: Request,
    list_id: Id,
    identity: PageUser,
    session: SessionDep,
    database: DatabaseDep,
    store: StoreParam = None,
    q: SearchParam = None,
    undo: UndoParam = None,
    offered: OfferedParam = None,
) -> Response:
    return await list_page(
        request,
        session,
        database,
        identity,
        list_id=list_id,
        store_id=int(store) if store else None,
        q=q,
        undo=undo,
        offered=offered or (),
    )


async def refused_form(
    request: Request,
    session: AsyncSession,
    database: Database,
    identity: Identity,
    list_id: int,
    name: str,
    form: Form[Any],
) -> Response:
    """The list page again with the form called ``name`` refused (422)."""
    return await list_page(
        request,
        session,
        database,
        identity,
        list_id=list_id,
        store_id=await store_of(request),
        q=(await _submitted(request, "q"))[:200],
        forms={name: form},
        status_code=422,
    )


async def line_text(session: AsyncSession, done: service.Done, units: UnitSystem) -> str:
    """How the reader reads the item an operation made or changed."""
    if done.item is None or done.item.deleted_at is not None:
        raise service.ShoppingItemNotFound()
    (line,) = await lines.lines_of(session, [done.item], units)
    return line.merged.text


@router.post(LIST + "/items")
async def add_item(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Quick add: "2 lb chicken thighs" is read with the ingredient parser."""
    form = await operation_form(request, ItemCreate)
    if form.data is None:
        return await refused_form(request, session, database, identity, list_id, "add", form)
    done = await service.add_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        text=form.data.text,
        note=form.data.note,
        aisle=form.data.aisle,
        op_id=form.data.op_id,
    )
    text = await line_text(session, done, reader_units(identity))
    back = views.list_url(list_id, store=await store_of(request))
    return redirect(request, back + "#quick-add", flash=f"Added {text}.")


@router.post(ITEM + "/check")
async def check_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    """Check an item off (the page after it offers to undo that), or put it back."""
    form = await read_form(request, views.CheckForm)
    if form.data is None:
        raise FormNotMade(RELOAD)
    done = await service.change_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        item_id=item_id,
        changes={"checked": form.data.checked},
        op_id=f"{form.data.op_id}.{item_id}",
    )
    text = await line_text(session, done, reader_units(identity))
    store = await store_of(request)
    if form.data.checked:
        return redirect(request, views.list_url(list_id, store=store, undo=item_id) + "#undo")
    return redirect(
        request, views.list_url(list_id, store=store), flash=f"Put {text} back on the list."
    )


@router.post(LIST + "/clear-checked")
async def clear_checked(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    form = await read_form(request, views.OpForm)
    if form.data is None:
        raise FormNotMade(RELOAD)
    await service.clear_checked(
        session, actor=identity.actor, list_id=list_id, op_id=form.data.op_id
    )
    back = views.list_url(list_id, store=await store_of(request))
    return redirect(request, back, flash="Cleared the checked items.")
