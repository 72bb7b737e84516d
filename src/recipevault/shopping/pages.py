"""Browser pages of the shopping lists: a person's lists by household, and a list's page made
for a phone in a shop (check off, undo, quick add, recipes and the week's plan).

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
from recipevault.db import Database, undo_on_error
from recipevault.deps import DatabaseDep, MarkPage, PageUser, SessionDep
from recipevault.errors import ValidationFailed
from recipevault.households import service as households
from recipevault.http.pagination import CursorQuery
from recipevault.http.schemas import Id
from recipevault.planner.page_views import day_text, refused, week_start
from recipevault.recipes import page_views as recipe_views
from recipevault.recipes.line_references import readable_lines
from recipevault.recipes.page_text import plain_number
from recipevault.recipes.schemas import RecipeListQuery
from recipevault.recipes.units import UnitSystem
from recipevault.shopping import additions, lines, service
from recipevault.shopping import page_views as views
from recipevault.shopping.api import _READING, CHECKED_SHOWN
from recipevault.shopping.models import TEXT_LENGTH
from recipevault.shopping.page_reads import read_item
from recipevault.shopping.schemas import (
    ItemCreate,
    PlanAdd,
    RecipeAdd,
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


def _units(identity: Identity) -> UnitSystem:
    return _READING[identity.unit_system]


async def _operation_form(request: Request, schema: type[M]) -> Form[M]:
    """A form read with an API schema whose op id is optional there: the page's forms always
    carry one (so that sending one twice changes nothing twice)."""
    form = await read_form(request, schema)
    if form.data is not None and getattr(form.data, "op_id", None) is None:
        return form.with_error(FORM_ERROR, RELOAD)
    return form


async def _submitted(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value if isinstance(value, str) else ""


async def _store_of(request: Request) -> int | None:
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


async def _recipe_choices(
    database: Database, identity: Identity, q: str | None
) -> list[dict[str, Any]]:
    if not q or not q.strip():
        return []
    items, _, _ = await recipe_views.summaries(
        database,
        viewer=identity.actor,
        query=RecipeListQuery.model_validate({"q": q.strip()}),
        limit=RESULTS,
    )
    return items


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
    shown = await lines.list_lines(session, found.id, _units(identity), checked_shown=CHECKED_SHOWN)
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
        "choices": await _recipe_choices(database, identity, q),
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


async def _refused(
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
        store_id=await _store_of(request),
        q=(await _submitted(request, "q"))[:200],
        forms={name: form},
        status_code=422,
    )


async def _line_text(session: AsyncSession, done: service.Done, units: UnitSystem) -> str:
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
    form = await _operation_form(request, ItemCreate)
    if form.data is None:
        return await _refused(request, session, database, identity, list_id, "add", form)
    done = await service.add_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        text=form.data.text,
        note=form.data.note,
        aisle=form.data.aisle,
        op_id=form.data.op_id,
    )
    text = await _line_text(session, done, _units(identity))
    back = views.list_url(list_id, store=await _store_of(request))
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
    text = await _line_text(session, done, _units(identity))
    store = await _store_of(request)
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
    back = views.list_url(list_id, store=await _store_of(request))
    return redirect(request, back, flash="Cleared the checked items.")


# --- One item --------------------------------------------------------------------------------


async def item_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    list_id: int,
    item_id: int,
    form: Form[Any] | None = None,
    status_code: int = 200,
) -> Response:
    found = await read_item(
        session, actor=identity.actor, list_id=list_id, item_id=item_id, system=_units(identity)
    )
    item = found.line.item
    defaults = {"text": item.text, "note": item.note or "", "aisle": item.aisle or ""}
    context = {
        "shopping_list": found.shopping_list,
        "line": found.line,
        "form": form or blank_form(defaults),
        "op": views.new_op_prefix(),
    }
    return render(request, "shopping/item.html", context, status_code=status_code)


@router.get(ITEM)
async def edit_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    return await item_page(request, session, identity, list_id=list_id, item_id=item_id)


@router.post(ITEM)
async def save_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    """Save an item's text (read again only when it changed: what recipes brought stays),
    note and aisle."""
    units = _units(identity)
    current = await read_item(
        session, actor=identity.actor, list_id=list_id, item_id=item_id, system=units
    )
    form = await read_form(request, views.ItemForm)
    if form.data is None:
        return await item_page(
            request,
            session,
            identity,
            list_id=list_id,
            item_id=item_id,
            form=form,
            status_code=422,
        )
    # What is sent as it was is left alone: the text would be read again, the aisle kept again.
    item = current.line.item
    wanted = {"text": form.data.text, "note": form.data.note, "aisle": form.data.aisle}
    was = {"text": item.text, "note": item.note, "aisle": item.aisle}
    changes = {name: value for name, value in wanted.items() if value != was[name]}
    done = await service.change_item(
        session,
        actor=identity.actor,
        list_id=list_id,
        item_id=item_id,
        changes=changes,
        op_id=form.data.op_id,
    )
    text = await _line_text(session, done, units)
    return redirect(request, views.list_url(list_id), flash=f"Saved {text}.")


@router.post(ITEM + "/delete")
async def delete_item(
    request: Request, list_id: Id, item_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    current = await read_item(
        session, actor=identity.actor, list_id=list_id, item_id=item_id, system=_units(identity)
    )
    form = await read_form(request, views.OpForm)
    if form.data is None:
        raise FormNotMade(RELOAD)
    await service.remove_item(
        session, actor=identity.actor, list_id=list_id, item_id=item_id, op_id=form.data.op_id
    )
    return redirect(request, views.list_url(list_id), flash=f"Removed {current.line.merged.text}.")


@router.get(LIST + "/checked")
async def older_checked(
    request: Request,
    list_id: Id,
    identity: PageUser,
    session: SessionDep,
    cursor: CursorQuery = None,
) -> Response:
    """Checked items a page at a time, the last checked first (the list page shows the
    latest)."""
    found = await service.get_list(session, actor=identity.actor, list_id=list_id)
    before = views.checked_before(cursor) if cursor is not None else None
    page = await lines.checked_lines(
        session, found.id, _units(identity), before=before, limit=CHECKED_SHOWN + 1
    )
    shown = page[:CHECKED_SHOWN]
    context = {
        "shopping_list": found,
        "checked": shown,
        "older": views.checked_cursor(shown[-1]) if len(page) > CHECKED_SHOWN else None,
        "op": views.new_op_prefix(),
        "rows": views.item_rows,
    }
    return render(request, "shopping/checked.html", context)


# --- Recipes and the plan ------------------------------------------------------------------


def _offered_tokens(brought: additions.Brought) -> list[str]:
    return [
        views.OfferedRef(line.recipe_id, line.position, line.reason).token
        for line in brought.offered
    ]


@router.post(LIST + "/recipes")
async def add_recipe(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """A recipe found by searching, at some servings (its own when left empty)."""
    form = await _operation_form(request, RecipeAdd)
    if form.data is None:
        return await _refused(request, session, database, identity, list_id, "recipe", form)
    return await _recipe_added(request, session, identity, list_id, form.data)


async def _recipe_added(
    request: Request, session: AsyncSession, identity: Identity, list_id: int, data: RecipeAdd
) -> Response:
    brought = await additions.add_recipe(
        session,
        actor=identity.actor,
        list_id=list_id,
        recipe_id=data.recipe_id,
        servings=data.servings,
        include=set(data.include),
        op_id=data.op_id,
    )
    named = await readable_lines(session, viewer=identity.actor, recipe_ids=[data.recipe_id])
    recipe = named[data.recipe_id]
    servings = data.servings if data.servings is not None else recipe.servings
    what = recipe.title + (f" ({plain_number(servings)} servings)" if servings else "")
    back = views.list_url(list_id, offered=_offered_tokens(brought))
    return redirect(request, back, flash=f"Added {what}.")


@router.post(LIST + "/recipes/{recipe_id:int}/remove")
async def remove_recipe(
    request: Request, list_id: Id, recipe_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    """Take what a recipe brought off the list, however it came (directly or planned)."""
    form = await read_form(request, views.OpForm)
    if form.data is None:
        raise FormNotMade(RELOAD)
    named = await readable_lines(session, viewer=identity.actor, recipe_ids=[recipe_id])
    await additions.remove_recipe(
        session, actor=identity.actor, list_id=list_id, recipe_id=recipe_id, op_id=form.data.op_id
    )
    title = named[recipe_id].title if recipe_id in named else "the recipe"
    return redirect(request, views.list_url(list_id), flash=f"Took {title} off the list.")


@router.post(LIST + "/meal-plan")
async def add_plan(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Every recipe planned in the days given (this week's, as the form starts), at its
    planned servings; a planned meal already on the list adds nothing again."""
    form = await _operation_form(request, PlanAdd)
    if (data := form.data) is not None:
        try:
            async with undo_on_error(session):
                brought = await additions.add_plan(
                    session,
                    actor=identity.actor,
                    list_id=list_id,
                    start=data.start,
                    end_date=data.end,
                    op_id=data.op_id,
                )
        except ValidationFailed as exc:
            form = refused(form, exc, ("start", "end"))
        else:
            days = f"{day_text(data.start)} to {day_text(data.end)}"
            back = views.list_url(list_id, offered=_offered_tokens(brought))
            return redirect(request, back, flash=f"Added the meals planned from {days}.")
    return await _refused(request, session, database, identity, list_id, "plan", form)


@router.post(LIST + "/offered")
async def add_offered(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    """Lines that were offered rather than added (optional, to taste, staples), wanted after
    all: each goes on the list as its recipe writes it."""
    form = await read_form(request, views.OfferedForm)
    if form.data is None:
        raise FormNotMade(RELOAD)
    wanted: list[tuple[int, int]] = []
    for value in form.data.line:
        recipe_id, position = value.split(".")
        wanted.append((int(recipe_id), int(position)))
    named = await readable_lines(
        session, viewer=identity.actor, recipe_ids={recipe_id for recipe_id, _ in wanted}
    )
    texts = {
        (recipe.id, line.position): line.text for recipe in named.values() for line in recipe.lines
    }
    added = 0
    for number, key in enumerate(dict.fromkeys(wanted)):
        if key not in texts:
            raise additions.RecipeNotFound()
        await service.add_item(
            session,
            actor=identity.actor,
            list_id=list_id,
            text=texts[key][:TEXT_LENGTH],
            note=None,
            aisle=None,
            op_id=f"{form.data.op_id}.{number}",
        )
        added += 1
    what = "1 more item" if added == 1 else f"{added} more items"
    return redirect(request, views.list_url(list_id), flash=f"Added {what}.")


# --- From a recipe's page ------------------------------------------------------------------


async def _add_recipe_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    recipe_id: int,
    form: Form[Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The small "Add to shopping list" form of a recipe: a list and servings (in place on
    the recipe page with htmx; a page of its own without)."""
    named = await readable_lines(session, viewer=identity.actor, recipe_ids=[recipe_id])
    if recipe_id not in named:
        raise additions.RecipeNotFound()
    recipe = named[recipe_id]
    mine = await households.list_households(session, actor=identity.actor)
    names = {view.household.id: view.household.name for view in mine}
    found = await service.list_lists(session, actor=identity.actor, household_id=None)
    choices = [
        (
            summary.shopping_list.id,
            summary.shopping_list.name
            + (f" ({names[summary.shopping_list.household_id]})" if len(names) > 1 else ""),
        )
        for summary in found
    ]
    defaults = {"servings": plain_number(recipe.servings)}
    context = {
        "recipe": recipe,
        "lists": choices,
        "form": form or blank_form(defaults),
        "op": views.new_op_prefix(),
    }
    fragment = (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == "add-to-list"
    )
    template = "shopping/_add_recipe.html" if fragment else "shopping/add_recipe.html"
    return render(request, template, context, status_code=status_code)


@router.get("/add")
async def choose_list(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    recipe: Annotated[Id, Query()],
) -> Response:
    return await _add_recipe_page(request, session, identity, recipe_id=recipe)


@router.post("/add")
async def add_recipe_to_chosen_list(
    request: Request, identity: PageUser, session: SessionDep
) -> Response:
    form = await read_form(request, views.RecipeChoiceForm)
    if form.data is None:
        recipe_id = form.value("recipe_id")
        if not recipe_id.isdigit() or len(recipe_id) > 12:
            raise additions.RecipeNotFound()
        return await _add_recipe_page(
            request, session, identity, recipe_id=int(recipe_id), form=form, status_code=422
        )
    data = RecipeAdd(
        recipe_id=form.data.recipe_id, servings=form.data.servings, op_id=form.data.op_id
    )
    return await _recipe_added(request, session, identity, form.data.list_id, data)
