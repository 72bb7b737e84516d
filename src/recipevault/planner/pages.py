"""Browser pages of the meal planner: a household's week or month, and the forms that change
it (add, move and remove entries, copy a week, templates, suggestions, the calendar feed).

Every rule lives in the planner's services; these routes read a form with the API's schema (or
the page's own, in ``page_views``), call the service, and either render the page again with the
refusal beside the form (422) or redirect with a flash message (303). What the viewer may not
see is not found (404), as on the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.clock import utcnow
from recipevault.db import Database, undo_on_error
from recipevault.deps import ClientDep, DatabaseDep, MarkPage, PageUser, SessionDep, SiteUrlDep
from recipevault.errors import NotFound, ValidationFailed
from recipevault.households import service as households
from recipevault.http.schemas import Id
from recipevault.planner import page_reads as reads
from recipevault.planner import page_views as views
from recipevault.planner import service
from recipevault.planner.calendar import service as feeds
from recipevault.planner.page_views import View
from recipevault.planner.schemas import FIRST_DATE, LAST_DATE, MealPlanEntryCreate, PlanDate
from recipevault.recipes import page_views as recipe_views
from recipevault.recipes.page_text import plain_number
from recipevault.web.forms import Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/planner", include_in_schema=False, dependencies=[MarkPage])

HouseholdParam = Annotated[Id | None, Query()]
ViewParam = Annotated[View, Query()]
DateParam = Annotated[PlanDate | None, Query()]
SearchParam = Annotated[str | None, Query(max_length=200)]
RESULTS = 8
CHOICES_TARGET = "recipe-choices"
ADD_FIELDS = ("recipe_id", "date", "slot_id", "servings", "title", "note")


def _is_fragment(request: Request, target: str) -> bool:
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == target
    )


async def household_of(
    session: AsyncSession, identity: Identity, household_id: int | None
) -> tuple[int, str, list[households.HouseholdView]]:
    """The household whose plan is shown (the personal one unless asked), its name, and the
    viewer's households for the selector; one they may not plan is not found."""
    mine = await households.list_households(session, actor=identity.actor)
    if household_id is None:
        if not mine:
            raise households.HouseholdNotFound()
        household_id = mine[0].household.id
    names = {view.household.id: view.household.name for view in mine}
    if household_id not in names:
        # An admin planning for a household they do not belong to; anyone else: not found.
        await households.require_household(session, actor=identity.actor, household_id=household_id)
        view, _ = await households.get_household(
            session, actor=identity.actor, household_id=household_id
        )
        names[household_id] = view.household.name
    return household_id, names[household_id], mine


async def plan_page(
    request: Request,
    session: AsyncSession,
    database: Database,
    identity: Identity,
    *,
    household_id: int | None,
    view: View = "week",
    day: dt.date | None = None,
    q: str | None = None,
    forms: Mapping[str, Form[Any]] | None = None,
    new_feed_url: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A week or a month of the plan: identifying the viewer aside, two statements however many
    entries (``page_reads.read_frame`` and ``service.plan_rows``)."""
    today = utcnow().date()
    if day is None or not FIRST_DATE <= day <= LAST_DATE:
        day = today  # a form refused for its date shows the plan around today
    shown = views.period(view, day)
    frame, name = await reads.page_frame(
        request, session, database, identity, household_id, templates=shown.view == "week"
    )
    household_id = frame.household_id
    if _is_fragment(request, CHOICES_TARGET):
        choices = {
            "choices": await recipe_views.choices(database, identity.actor, q, limit=RESULTS),
            "q": q,
        }
        return render(request, "planner/_recipe_choices.html", choices)
    # The whole range in one listing: no query per day or entry.
    planned = await service.plan_rows(
        reads.source(request, session, database),
        actor=identity.actor,
        household_id=household_id,
        start=max(shown.first, FIRST_DATE),
        end=min(shown.last, LAST_DATE),
    )
    forms = forms or {}
    week = shown.week_start
    context: dict[str, Any] = {
        "household_id": household_id,
        "household_name": name,
        "households": frame.households,
        "shown": shown,
        "days": views.days(shown, frame.slots, planned, today),
        "slots": frame.slots,
        "slots_options": [(slot.id, slot.name) for slot in frame.slots],
        "today": today,
        "q": q or "",
        "choices": await recipe_views.choices(database, identity.actor, q, limit=RESULTS),
        "templates": frame.templates,
        "feeds": frame.feeds,
        "is_member": identity.actor.in_household(household_id),
        "new_feed_url": new_feed_url,
        "add_form": forms.get("add") or blank_form({"date": day.isoformat()}),
        "copy_form": forms.get("copy") or blank_form({"to_start": (week + views.WEEK).isoformat()}),
        "save_form": forms.get("save") or blank_form(),
        "apply_form": forms.get("apply") or blank_form(),
        "move_forms": {
            int(key.removeprefix("move-")): form
            for key, form in forms.items()
            if key.startswith("move-")
        },
        "page_url": views.page_url,
        "day_text": views.day_text,
    }
    return render(request, "planner/plan.html", context, status_code=status_code, headers=headers)


async def refused_form(
    request: Request,
    session: AsyncSession,
    database: Database,
    identity: Identity,
    name: str,
    form: Form[Any],
    *,
    household_id: int | None = None,
    day: dt.date | None = None,
) -> Response:
    """The plan page again with the form called ``name`` in it refused (422): beside its
    fields, what is wrong; the week shown is the one the form was about."""
    return await plan_page(
        request,
        session,
        database,
        identity,
        household_id=household_id if household_id is not None else form_household(form),
        day=day,
        forms={name: form},
        status_code=422,
    )


@router.get("")
async def planner(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    database: DatabaseDep,
    household: HouseholdParam = None,
    view: ViewParam = "week",
    date: DateParam = None,
    q: SearchParam = None,
) -> Response:
    """A household's week (or month) of meals."""
    if date is not None:
        service.check_dates(where="query", date=date)
    return await plan_page(
        request, session, database, identity, household_id=household, view=view, day=date, q=q
    )


# --- Entries -------------------------------------------------------------------------------------


@router.post("/entries")
async def add_entry(
    request: Request, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Plan a recipe found by searching, or a note alone ("Eating out")."""
    form = await read_form(request, MealPlanEntryCreate)
    submitted = await request.form()
    from_recipe = submitted.get("source") == "recipe"
    if form.data is not None:
        try:
            async with undo_on_error(session):
                planned = await service.add_plan_entry(
                    session, actor=identity.actor, data=form.data
                )
        except ValidationFailed as exc:
            form = views.refused(form, exc, ADD_FIELDS)
        else:
            entry = planned.entry
            what = planned.recipe.title if planned.recipe else views.entry_view(planned).label
            return redirect(
                request,
                views.page_url(entry.household_id, entry.date),
                flash=f"Planned {what} on {views.day_text(entry.date)}.",
            )
    if from_recipe:
        recipe_id = form.value("recipe_id")
        return await _add_recipe_page(
            request,
            session,
            identity,
            recipe_id=int(recipe_id) if recipe_id.isdigit() else 0,
            household_id=form_household(form),
            form=form,
            status_code=422,
        )
    return await refused_form(
        request, session, database, identity, "add", form, day=form_date(form, "date")
    )


def form_household(form: Form[Any]) -> int | None:
    value = form.value("household_id")
    return int(value) if value.isdigit() and len(value) < 12 else None


def form_date(form: Form[Any], name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(form.value(name))
    except ValueError:
        return None


@router.post("/entries/{entry_id:int}/move")
async def move_entry(
    request: Request, entry_id: Id, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Move an entry to another day or slot (the "Move to…" form, and drag and drop)."""
    current = await service.get_plan_entry(session, actor=identity.actor, entry_id=entry_id)
    # Read now: a refused move rolls back, and the entry's attributes expire with it.
    household_id, day = current.entry.household_id, current.entry.date
    form = await read_form(request, views.EntryMove)
    if form.data is not None:
        try:
            async with undo_on_error(session):
                moved = await service.change_plan_entry(
                    session,
                    actor=identity.actor,
                    entry_id=entry_id,
                    changes=form.data.model_dump(),
                )
        except ValidationFailed as exc:
            form = views.refused(form, exc, ("date", "slot_id"))
        else:
            day = moved.entry.date
            return redirect(
                request,
                views.page_url(moved.entry.household_id, day),
                flash=f"Moved {views.entry_view(moved).label} to {views.day_text(day)}.",
            )
    return await refused_form(
        request,
        session,
        database,
        identity,
        f"move-{entry_id}",
        form,
        household_id=household_id,
        day=day,
    )


@router.post("/entries/{entry_id:int}/remove")
async def remove_entry(
    request: Request, entry_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    planned = await service.get_plan_entry(session, actor=identity.actor, entry_id=entry_id)
    label = views.entry_view(planned).label
    await service.remove_plan_entry(session, actor=identity.actor, entry_id=entry_id)
    return redirect(
        request,
        views.page_url(planned.entry.household_id, planned.entry.date),
        flash=f"Removed {label} from {views.day_text(planned.entry.date)}.",
    )


# --- From a recipe page --------------------------------------------------------------------------


async def _add_recipe_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    recipe_id: int,
    household_id: int | None,
    form: Form[Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The small "Add to plan" form of a recipe: a day, a slot and servings (in place on the
    recipe page with htmx; a page of its own without)."""
    try:
        recipe = await service.plannable_recipe(session, actor=identity.actor, recipe_id=recipe_id)
    except ValidationFailed:
        raise NotFound("There is no such recipe to plan.") from None
    household_id, name, mine = await household_of(session, identity, household_id)
    slots = await service.list_meal_slots(session, actor=identity.actor, household_id=household_id)
    defaults = {
        "date": utcnow().date().isoformat(),
        "slot_id": str(slots[-2].id if len(slots) > 1 else slots[0].id) if slots else "",
        "servings": plain_number(recipe.servings),
    }
    context = {
        "recipe": recipe,
        "household_id": household_id,
        "household_name": name,
        "households": [(v.household.id, v.household.name) for v in mine],
        "slots": [(slot.id, slot.name) for slot in slots],
        "form": form or blank_form(defaults),
    }
    fragment = _is_fragment(request, "add-to-plan")
    template = "planner/_add_recipe.html" if fragment else "planner/add_recipe.html"
    return render(request, template, context, status_code=status_code)


@router.get("/add")
async def add_recipe(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    recipe: Annotated[Id, Query()],
    household: HouseholdParam = None,
) -> Response:
    return await _add_recipe_page(
        request, session, identity, recipe_id=recipe, household_id=household
    )


# --- The calendar feed ---------------------------------------------------------------------------


@router.post("/calendar-feeds")
async def create_feed(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    database: DatabaseDep,
    site_url: SiteUrlDep,
    client: ClientDep,
) -> Response:
    """Make a calendar address and show it this once, on the page itself (only its digest is
    kept, so it cannot ride along a redirect)."""
    form = await read_form(request, views.HouseholdForm)
    if form.data is None:
        raise NotFound("There is no such household.")
    feed, token = await feeds.create_feed(
        session, actor=identity.actor, household_id=form.data.household_id, ip=client.ip
    )
    return await plan_page(
        request,
        session,
        database,
        identity,
        household_id=feed.household_id,
        new_feed_url=feeds.feed_url(site_url, token),
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@router.post("/calendar-feeds/{feed_id:int}/revoke")
async def revoke_feed(
    request: Request, feed_id: Id, identity: PageUser, session: SessionDep, client: ClientDep
) -> Response:
    form = await read_form(request, views.HouseholdForm)
    if form.data is None:
        raise NotFound("There is no such calendar feed.")
    household_id = form.data.household_id
    await feeds.revoke_feed(
        session, actor=identity.actor, household_id=household_id, feed_id=feed_id, ip=client.ip
    )
    return redirect(
        request,
        views.page_url(household_id, utcnow().date()) + "#subscribe",
        flash="That calendar address no longer works.",
    )
