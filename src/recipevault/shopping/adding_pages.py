"""Browser pages that put recipes and the plan on a shopping list (and what they offered but
did not add), from the list's page and from a recipe's. See ``pages`` for how the shopping
pages work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.db import undo_on_error
from recipevault.deps import DatabaseDep, MarkPage, PageUser, SessionDep
from recipevault.errors import ValidationFailed
from recipevault.households import service as households
from recipevault.http.schemas import Id
from recipevault.planner.page_views import day_text, refused
from recipevault.recipes.line_references import readable_lines
from recipevault.recipes.page_text import plain_number
from recipevault.shopping import additions, pages, service
from recipevault.shopping import page_views as views
from recipevault.shopping.models import TEXT_LENGTH
from recipevault.shopping.schemas import PlanAdd, RecipeAdd
from recipevault.web.forms import Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix=views.PAGE, include_in_schema=False, dependencies=[MarkPage])

LIST = pages.LIST


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
    form = await pages.operation_form(request, RecipeAdd)
    if form.data is None:
        return await pages.refused_form(
            request, session, database, identity, list_id, "recipe", form
        )
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
        raise pages.FormNotMade(pages.RELOAD)
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
    form = await pages.operation_form(request, PlanAdd)
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
    return await pages.refused_form(request, session, database, identity, list_id, "plan", form)


@router.post(LIST + "/offered")
async def add_offered(
    request: Request, list_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    """Lines that were offered rather than added (optional, to taste, staples), wanted after
    all: each goes on the list as its recipe writes it."""
    form = await read_form(request, views.OfferedForm)
    if form.data is None:
        raise pages.FormNotMade(pages.RELOAD)
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
