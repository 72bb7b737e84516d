"""Browser pages that plan many meals at once: copy a week, save and apply templates, and
suggest a week (rules, then a preview of the proposals, then the ones to keep).

As in ``pages``: the services decide, a refused form comes back with its messages (422), and
what was done is told on the next page (303).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.clock import utcnow
from recipevault.db import Database, undo_on_error
from recipevault.deps import DatabaseDep, MarkPage, PageUser, SessionDep
from recipevault.errors import AppError, Conflict, Unprocessable, ValidationFailed
from recipevault.http.schemas import Id
from recipevault.planner import page_views as views
from recipevault.planner import pages, service
from recipevault.planner.schemas import MealPlanEntryCreate, PlanDate
from recipevault.planner.suggestions import service as suggestions
from recipevault.planner.suggestions.schemas import SuggestionRequest
from recipevault.planner.templates import service as reuse
from recipevault.planner.templates.schemas import PlanCopy, TemplateCreate
from recipevault.web.forms import Form, blank_form, field_errors, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/planner", include_in_schema=False, dependencies=[MarkPage])

SUGGEST_FIELDS = (
    "start",
    "end",
    "slot_ids",
    *views.TERM_FIELDS,
    "max_total_minutes",
    "not_planned_within_days",
    "seed",
)


# --- Copying a week and templates ---------------------------------------------------------------


Data = TypeVar("Data", bound=BaseModel)
Planned = tuple[int, dt.date, str]
"""What a form did: the household and the day whose week to show next, and what to tell."""


@dataclass(frozen=True, slots=True)
class ReuseForm:
    """A form of the plan page that plans many meals at once: its name on the page, the field
    of the day whose week the page shows it refused on, the fields its refusals are shown
    beside (the others above it), and which refusals it shows."""

    name: str
    day_field: str
    shown: tuple[str, ...]
    refusals: tuple[type[AppError], ...] = (ValidationFailed,)


COPY = ReuseForm("copy", "from_start", ("to_start",))
SAVE = ReuseForm("save", "week_start", ("name",), (ValidationFailed, Conflict))
APPLY = ReuseForm("apply", "week_start", ("template_id",))


async def _plan_by_form(
    request: Request,
    session: AsyncSession,
    database: Database,
    identity: Identity,
    kind: ReuseForm,
    form: Form[Data],
    plan: Callable[[Data], Awaitable[Planned]],
) -> Response:
    """Do what a valid form asks (``plan``) and show the week it leads to, with what was done
    (303); or the page again with the form refused (422)."""
    if form.data is not None:
        try:
            async with undo_on_error(session):
                household_id, day, done = await plan(form.data)
        except kind.refusals as exc:
            form = views.refused(form, exc, kind.shown)
        else:
            return redirect(request, views.page_url(household_id, day), flash=done)
    shown_day = pages.form_date(form, kind.day_field)
    return await pages.refused_form(
        request, session, database, identity, kind.name, form, day=shown_day
    )


@router.post("/copy")
async def copy_week(
    request: Request, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    async def copy(data: PlanCopy) -> Planned:
        copies = await reuse.copy_plan(
            session,
            actor=identity.actor,
            household_id=data.household_id,
            from_start=data.from_start,
            from_end=data.from_end,
            to_start=data.to_start,
        )
        done = f"Copied {views.meals(len(copies))} to the week of {views.day_text(data.to_start)}."
        return data.household_id, data.to_start, done

    form = await read_form(request, PlanCopy)
    return await _plan_by_form(request, session, database, identity, COPY, form, copy)


@router.post("/templates")
async def save_template(
    request: Request, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Save the week shown as a named template."""

    async def save(data: TemplateCreate) -> Planned:
        saved = await reuse.save_week_as_template(
            session,
            actor=identity.actor,
            household_id=data.household_id,
            name=data.name,
            week_start=data.week_start,
        )
        done = f"Saved this week as “{saved.template.name}”."
        return data.household_id, data.week_start, done

    form = await read_form(request, TemplateCreate)
    return await _plan_by_form(request, session, database, identity, SAVE, form, save)


@router.post("/templates/apply")
async def apply_template(
    request: Request, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    async def apply(data: views.TemplateApplyForm) -> Planned:
        try:
            found = await reuse.get_template(
                session, actor=identity.actor, template_id=data.template_id
            )
        except reuse.TemplateNotFound:
            # On this page, a refusal of the form rather than a page not found.
            raise Unprocessable("No such template in this household.") from None
        planned = await reuse.apply_template(
            session, actor=identity.actor, template_id=data.template_id, week_start=data.week_start
        )
        template = found.template
        done = f"Planned “{template.name}”: {views.meals(len(planned))} this week."
        return template.household_id, data.week_start, done

    form = await read_form(request, views.TemplateApplyForm)
    return await _plan_by_form(request, session, database, identity, APPLY, form, apply)


# --- Suggest a week ------------------------------------------------------------------------------


async def _suggest_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    *,
    household_id: int | None,
    form: Form[Any] | None = None,
    proposals: list[dict[str, Any]] | None = None,
    day: dt.date | None = None,
    status_code: int = 200,
) -> Response:
    household_id, name, _ = await pages.household_of(session, identity, household_id)
    slots = await service.list_meal_slots(session, actor=identity.actor, household_id=household_id)
    week = views.week_start(day or utcnow().date())
    context = {
        "household_id": household_id,
        "household_name": name,
        "slots": [(str(slot.id), slot.name) for slot in slots],
        "form": form
        or blank_form(
            {
                "start": week.isoformat(),
                "end": (week + views.WEEK - views.ONE_DAY).isoformat(),
                "slot_ids": [str(slot.id) for slot in slots],
                "seed": str(int(utcnow().timestamp()) % 100_000),
            }
        ),
        "proposals": proposals,
        "day_text": views.day_text,
    }
    return render(request, "planner/suggest.html", context, status_code=status_code)


@router.get("/suggest")
async def suggest_form(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    household: Annotated[Id | None, Query()] = None,
    date: Annotated[PlanDate | None, Query()] = None,
) -> Response:
    """The rules a suggestion follows, for the week of ``date`` (this week unless asked)."""
    if date is not None:
        service.check_dates(where="query", date=date)
    return await _suggest_page(request, session, identity, household_id=household, day=date)


def _suggestion_request(form: Form[Any]) -> tuple[SuggestionRequest | None, Form[Any]]:
    """The suggestion request a valid form makes, or the form with what is wrong."""
    assert form.data is not None
    try:
        return SuggestionRequest.model_validate(form.data.request()), form
    except ValidationError as exc:
        for name, message in field_errors(exc).items():
            form = form.with_error(name if name in SUGGEST_FIELDS else "_form", message)
        # Rules are nested in the request: say which one.
        for error in exc.errors(include_url=False):
            location = [str(part) for part in error["loc"]]
            if location[:1] == ["rules"] and len(location) > 1 and location[1] in SUGGEST_FIELDS:
                form = form.with_error(location[1], error["msg"] + ".")
        return None, form


@router.post("/suggest")
async def suggest_preview(
    request: Request, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """The proposals for the rules, each to keep or not: nothing is planned yet."""
    form = await read_form(request, views.SuggestForm)
    proposals = None
    if form.data is not None:
        data, form = _suggestion_request(form)
        if data is not None:
            try:
                picks = await suggestions.suggest(
                    session, database, actor=identity.actor, data=data
                )
            except ValidationFailed as exc:
                form = views.refused(form, exc, SUGGEST_FIELDS)
            else:
                proposals = [
                    {
                        "value": f"{p.slot_day.date.isoformat()}:{p.slot_day.slot_id}:{p.choice.id}"
                        if p.choice
                        else None,
                        "date": p.slot_day.date,
                        "slot_id": p.slot_day.slot_id,
                        "recipe": p.choice,
                        "reasons": list(p.reasons),
                    }
                    for p in picks
                ]
    return await _suggest_page(
        request,
        session,
        identity,
        household_id=pages.form_household(form),
        form=form,
        proposals=proposals,
        status_code=200 if proposals is not None else 422,
    )


@router.post("/suggest/keep")
async def keep_suggestions(
    request: Request, identity: PageUser, session: SessionDep, database: DatabaseDep
) -> Response:
    """Plan the proposals chosen (at their recipe's servings)."""
    form = await read_form(request, views.KeepForm)
    chosen = views.kept(form.data.keep) if form.data is not None else None
    if form.data is not None and chosen is None:
        form = form.with_error("keep", "Choose among the proposals shown.")
    elif form.data is not None and not chosen:
        form = form.with_error("keep", "Choose at least one proposal to plan.")
    if form.data is not None and chosen:
        household_id = form.data.household_id
        try:
            async with undo_on_error(session):
                for each in chosen:
                    await service.add_plan_entry(
                        session,
                        actor=identity.actor,
                        data=MealPlanEntryCreate(
                            household_id=household_id,
                            date=each.date,
                            slot_id=each.slot_id,
                            recipe_id=each.recipe_id,
                        ),
                    )
        except ValidationFailed as exc:
            form = views.refused(form, exc, ())
        else:
            first = min(each.date for each in chosen)
            return redirect(
                request,
                views.page_url(household_id, first),
                flash=f"Planned {views.meals(len(chosen))} from the suggestions.",
            )
    return await _suggest_page(
        request,
        session,
        identity,
        household_id=pages.form_household(form),
        form=blank_form().with_error("_form", form.error("keep") or form.error("_form") or ""),
        status_code=422,
    )
