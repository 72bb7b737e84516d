"""Reusing a plan: copying days to other days, saving a week as a named template and planning
it on any week, and rotations that plan a template every few weeks.

Applying a template to a week plans each of its entries once, however often and however many
at once apply it: the database holds (template entry, date) unique, and applying inserts what
is missing and skips the rest. An entry removed from a week comes back if someone applies the
template to that week again (that is asking for it), but never by a rotation.

Rotations are planned ahead of time, ``ROTATION_WEEKS_AHEAD`` weeks past today: when one is
started, and then by the job worker's upkeep (``plan_rotations_ahead``), which goes on from the
day the rotation had planned through. Planned weeks are ordinary entries, so every reader of
the plan (the listing, the calendar feed, suggestions) sees them without knowing of rotations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import Role
from recipevault.clock import utcnow
from recipevault.db import upsert
from recipevault.errors import Conflict, NotFound, Unprocessable, field_errors
from recipevault.households.service import require_household
from recipevault.planner.models import (
    MealPlanEntry,
    MealPlanRotation,
    MealPlanTemplate,
    MealPlanTemplateEntry,
    MealSlot,
)
from recipevault.planner.schemas import LAST_DATE
from recipevault.planner.service import (
    PlannedEntry,
    check_dates,
    check_range,
    household_row,
    planned_entries,
)
from recipevault.policy import Actor, Viewer
from recipevault.recipes.references import RecipeReference, readable_references

WEEK = dt.timedelta(days=7)
ROTATION_WEEKS_AHEAD = 8


class TemplateNotFound(NotFound):
    title = "Meal plan template not found"


class RotationNotFound(NotFound):
    title = "Meal plan rotation not found"


@dataclass(frozen=True, slots=True)
class TemplateEntryView:
    entry: MealPlanTemplateEntry
    recipe: RecipeReference | None
    recipe_unavailable: bool


@dataclass(frozen=True, slots=True)
class TemplateView:
    template: MealPlanTemplate
    entries: list[TemplateEntryView]


def _refused(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra=field_errors(field, message))


def _worth_planning(recipe_id: int | None, title: str | None, note: str | None) -> bool:
    return recipe_id is not None or bool(title or note)


def _recipe_ids(rows: Iterable[MealPlanEntry | MealPlanTemplateEntry]) -> set[int]:
    return {row.recipe_id for row in rows if row.recipe_id is not None}


# --- Copying days ----------------------------------------------------------------------------


async def copy_plan(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    from_start: dt.date,
    from_end: dt.date,
    to_start: dt.date,
) -> list[PlannedEntry]:
    """Copy the entries that start from ``from_start`` to ``from_end`` to the same days from
    ``to_start``: the copies keep their slot, servings, cook, title and note, their recipe if
    ``actor`` may read it, and their leftovers link if its meal is copied too. An entry left
    with nothing to plan is not copied."""
    check_dates(from_start=from_start, from_end=from_end, to_start=to_start)
    check_range(from_start, from_end, where="body", end_field="from_end")
    await require_household(session, actor=actor, household_id=household_id)
    shift = to_start - from_start
    sources = list(
        await session.scalars(
            select(MealPlanEntry)
            .where(
                MealPlanEntry.household_id == household_id,
                MealPlanEntry.date.between(from_start, from_end),
            )
            .order_by(MealPlanEntry.date, MealPlanEntry.id)
        )
    )
    if any(source.end_date + shift > LAST_DATE for source in sources):
        raise _refused("to_start", f"The copies would end after {LAST_DATE}")
    readable = await readable_references(session, viewer=actor, recipe_ids=_recipe_ids(sources))
    kept = {
        source.id
        for source in sources
        if _worth_planning(
            source.recipe_id if source.recipe_id in readable else None, source.title, source.note
        )
    }
    kept |= {source.id for source in sources if source.leftovers_of_id in kept}
    copies: dict[int, MealPlanEntry] = {}
    now = utcnow()
    for source in sources:
        if source.id not in kept:
            continue
        copies[source.id] = MealPlanEntry(
            household_id=household_id,
            date=source.date + shift,
            end_date=source.end_date + shift,
            slot_id=source.slot_id,
            recipe_id=source.recipe_id if source.recipe_id in readable else None,
            servings=source.servings,
            title=source.title,
            note=source.note,
            cook_id=source.cook_id,
            created_by_id=actor.user_id,
            updated_at=now,
            sequence=0,
        )
    session.add_all(copies.values())
    await session.flush()
    for source in sources:
        if source.id in copies and source.leftovers_of_id in copies:
            copies[source.id].leftovers_of_id = copies[source.leftovers_of_id].id
    await session.flush()
    return await planned_entries(session, actor=actor, entries=list(copies.values()))


# --- Templates -------------------------------------------------------------------------------


async def _entries_of(
    session: AsyncSession, viewer: Viewer, templates: Sequence[MealPlanTemplate]
) -> dict[int, list[TemplateEntryView]]:
    """The entries of ``templates`` in week order, their recipes read in one query."""
    rows = list(
        await session.scalars(
            select(MealPlanTemplateEntry)
            .join(MealSlot, MealSlot.id == MealPlanTemplateEntry.slot_id)
            .where(MealPlanTemplateEntry.template_id.in_([t.id for t in templates]))
            .order_by(MealPlanTemplateEntry.weekday, MealSlot.position, MealPlanTemplateEntry.id)
        )
    )
    recipes = await readable_references(session, viewer=viewer, recipe_ids=_recipe_ids(rows))
    found: dict[int, list[TemplateEntryView]] = {template.id: [] for template in templates}
    for row in rows:
        recipe = recipes.get(row.recipe_id) if row.recipe_id is not None else None
        unavailable = row.recipe_id is not None and recipe is None
        found[row.template_id].append(TemplateEntryView(row, recipe, unavailable))
    return found


async def _view(session: AsyncSession, viewer: Viewer, template: MealPlanTemplate) -> TemplateView:
    entries = await _entries_of(session, viewer, [template])
    return TemplateView(template=template, entries=entries[template.id])


async def _template(session: AsyncSession, actor: Actor, template_id: int) -> MealPlanTemplate:
    return await household_row(session, actor, MealPlanTemplate, template_id, TemplateNotFound)


async def list_templates(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> list[TemplateView]:
    await require_household(session, actor=actor, household_id=household_id)
    templates = list(
        await session.scalars(
            select(MealPlanTemplate)
            .where(MealPlanTemplate.household_id == household_id)
            .order_by(MealPlanTemplate.name, MealPlanTemplate.id)
        )
    )
    entries = await _entries_of(session, actor, templates)
    return [TemplateView(template=t, entries=entries[t.id]) for t in templates]


async def get_template(session: AsyncSession, *, actor: Actor, template_id: int) -> TemplateView:
    return await _view(session, actor, await _template(session, actor, template_id))


def _name_taken() -> Conflict:
    return Conflict(
        "The household has a template of that name already.",
        extra=field_errors("name", "Taken by another template"),
    )


async def save_week_as_template(
    session: AsyncSession, *, actor: Actor, household_id: int, name: str, week_start: dt.date
) -> TemplateView:
    """Save the entries that start on the seven days from ``week_start`` as a template (409
    if the household has one of that name). Each keeps its day of the week and its length;
    leftovers links are not kept, and an entry with nothing else to plan is left out. The
    week's entries become the template's there, as if it had planned them."""
    check_dates(week_start=week_start)
    await require_household(session, actor=actor, household_id=household_id)
    template_id = await session.scalar(
        upsert(session, MealPlanTemplate)
        .values(household_id=household_id, name=name, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(MealPlanTemplate.id)
    )
    if template_id is None:
        raise _name_taken()
    week = await session.scalars(
        select(MealPlanEntry)
        .where(
            MealPlanEntry.household_id == household_id,
            MealPlanEntry.date.between(week_start, week_start + WEEK - dt.timedelta(days=1)),
        )
        .order_by(MealPlanEntry.date, MealPlanEntry.id)
    )
    saved = [
        (
            entry,
            MealPlanTemplateEntry(
                template_id=template_id,
                weekday=entry.date.weekday(),
                days=(entry.end_date - entry.date).days + 1,
                slot_id=entry.slot_id,
                recipe_id=entry.recipe_id,
                servings=entry.servings,
                title=entry.title,
                note=entry.note,
                cook_id=entry.cook_id,
            ),
        )
        for entry in week
        if _worth_planning(entry.recipe_id, entry.title, entry.note)
    ]
    session.add_all(template_entry for _, template_entry in saved)
    await session.flush()
    # The week the template was made from counts as planned by it: applying the template to
    # it (a rotation that starts there) plans nothing twice.
    for entry, template_entry in saved:
        entry.template_entry_id = template_entry.id
    await session.flush()
    return await get_template(session, actor=actor, template_id=template_id)


async def rename_template(
    session: AsyncSession, *, actor: Actor, template_id: int, name: str
) -> TemplateView:
    template = await _template(session, actor, template_id)
    try:
        async with session.begin_nested():
            template.name = name
            await session.flush()
    except IntegrityError:
        raise _name_taken() from None
    return await _view(session, actor, template)


async def remove_template(session: AsyncSession, *, actor: Actor, template_id: int) -> None:
    """Remove a template and its rotations; the weeks it planned stay planned."""
    await session.delete(await _template(session, actor, template_id))
    await session.flush()


async def _plan_week(
    session: AsyncSession,
    *,
    viewer: Viewer,
    template: MealPlanTemplate,
    week_start: dt.date,
    created_by_id: int | None,
) -> None:
    """Insert the template's entries on the week from ``week_start`` that it has not planned
    there yet, with the recipes ``viewer`` may read."""
    rows = list(
        await session.scalars(
            select(MealPlanTemplateEntry).where(MealPlanTemplateEntry.template_id == template.id)
        )
    )
    readable = await readable_references(session, viewer=viewer, recipe_ids=_recipe_ids(rows))
    now = utcnow()
    values: list[dict[str, Any]] = []
    for row in rows:
        recipe = readable.get(row.recipe_id) if row.recipe_id is not None else None
        recipe_id = None if recipe is None else recipe.id
        if not _worth_planning(recipe_id, row.title, row.note):
            continue
        servings = row.servings
        if servings is None and recipe is not None:
            servings = recipe.servings
        day = week_start + dt.timedelta(days=(row.weekday - week_start.weekday()) % 7)
        values.append(
            {
                "household_id": template.household_id,
                "date": day,
                "end_date": day + dt.timedelta(days=row.days - 1),
                "slot_id": row.slot_id,
                "recipe_id": recipe_id,
                "servings": servings,
                "title": row.title,
                "note": row.note,
                "cook_id": row.cook_id,
                "template_entry_id": row.id,
                "created_by_id": created_by_id,
                "created_at": now,
                "updated_at": now,
                "sequence": 0,
            }
        )
    if values:
        await session.execute(
            upsert(session, MealPlanEntry).values(values).on_conflict_do_nothing()
        )


async def apply_template(
    session: AsyncSession, *, actor: Actor, template_id: int, week_start: dt.date
) -> list[PlannedEntry]:
    """Plan the template on the seven days from ``week_start``; what it planned there already
    stays as it is. The template's entries on that week, planned now or before."""
    check_dates(week_start=week_start)
    template = await _template(session, actor, template_id)
    await _plan_week(
        session, viewer=actor, template=template, week_start=week_start, created_by_id=actor.user_id
    )
    entries = await session.scalars(
        select(MealPlanEntry)
        .join(MealSlot, MealSlot.id == MealPlanEntry.slot_id)
        .join(MealPlanTemplateEntry, MealPlanTemplateEntry.id == MealPlanEntry.template_entry_id)
        .where(
            MealPlanTemplateEntry.template_id == template.id,
            MealPlanEntry.date.between(week_start, week_start + WEEK - dt.timedelta(days=1)),
        )
        .order_by(MealPlanEntry.date, MealSlot.position, MealPlanEntry.id)
    )
    return await planned_entries(session, actor=actor, entries=list(entries))


# --- Rotations -------------------------------------------------------------------------------


def household_reader(household_id: int) -> Actor:
    """Whom a rotation plans recipes for when nobody in particular is asking: any member of
    the household, who reads public recipes and those shared with the household (a private
    recipe in a template is planned when its owner applies the template, not by a rotation)."""
    return Actor(
        user_id=0, role=Role.MEMBER, household_ids=frozenset({household_id}), can_write=False
    )


async def _plan_rotation_ahead(
    session: AsyncSession, rotation: MealPlanRotation, *, today: dt.date
) -> int:
    """Plan the rotation's weeks that start after what it planned through (and not before this
    week) up to ``ROTATION_WEEKS_AHEAD`` weeks from ``today``; how many weeks it planned."""
    horizon = today + WEEK * ROTATION_WEEKS_AHEAD
    through = min(horizon, rotation.end_date) if rotation.end_date else horizon
    after = rotation.planned_through or rotation.start_date - dt.timedelta(days=1)
    earliest = max(after + dt.timedelta(days=1), today - dt.timedelta(days=6))
    if through < earliest:
        return 0
    template = await session.get(MealPlanTemplate, rotation.template_id)
    assert template is not None  # rotations go with their template
    step = WEEK * rotation.every_weeks
    skipped = max(0, -(-(earliest - rotation.start_date).days // step.days))
    week_start, planned = rotation.start_date + step * skipped, 0
    while week_start <= through:
        await _plan_week(
            session,
            viewer=household_reader(rotation.household_id),
            template=template,
            week_start=week_start,
            created_by_id=None,
        )
        week_start, planned = week_start + step, planned + 1
    rotation.planned_through = through
    return planned


async def _rotation(session: AsyncSession, actor: Actor, rotation_id: int) -> MealPlanRotation:
    return await household_row(session, actor, MealPlanRotation, rotation_id, RotationNotFound)


async def list_rotations(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> list[MealPlanRotation]:
    await require_household(session, actor=actor, household_id=household_id)
    return list(
        await session.scalars(
            select(MealPlanRotation)
            .where(MealPlanRotation.household_id == household_id)
            .order_by(MealPlanRotation.start_date, MealPlanRotation.id)
        )
    )


async def start_rotation(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    template_id: int,
    start_date: dt.date,
    every_weeks: int,
    end_date: dt.date | None,
) -> MealPlanRotation:
    """Repeat a template of the household's every ``every_weeks`` weeks from the week of seven
    days starting ``start_date``; the weeks up to ``ROTATION_WEEKS_AHEAD`` ahead are planned
    at once."""
    check_dates(start_date=start_date, end_date=end_date)
    await require_household(session, actor=actor, household_id=household_id)
    template = await session.get(MealPlanTemplate, template_id)
    if template is None or template.household_id != household_id:
        raise _refused("template_id", "No such template in this household")
    if end_date is not None and end_date < start_date:
        raise _refused("end_date", "Must not be before the start date")
    rotation = MealPlanRotation(
        household_id=household_id,
        template_id=template_id,
        start_date=start_date,
        every_weeks=every_weeks,
        end_date=end_date,
    )
    session.add(rotation)
    await session.flush()
    await _plan_rotation_ahead(session, rotation, today=utcnow().date())
    await session.flush()
    return rotation


async def stop_rotation(session: AsyncSession, *, actor: Actor, rotation_id: int) -> None:
    """Stop a rotation; the weeks it planned stay planned."""
    await session.delete(await _rotation(session, actor, rotation_id))
    await session.flush()


async def plan_rotations_ahead(session: AsyncSession, *, today: dt.date) -> int:
    """Plan every rotation ``ROTATION_WEEKS_AHEAD`` weeks past ``today`` (the job worker's
    upkeep); how many weeks were planned. Safe to run twice, and at once."""
    horizon = today + WEEK * ROTATION_WEEKS_AHEAD
    due = await session.scalars(
        select(MealPlanRotation)
        .where(
            (MealPlanRotation.planned_through.is_(None))
            | (
                (MealPlanRotation.planned_through < horizon)
                & (
                    MealPlanRotation.end_date.is_(None)
                    | (MealPlanRotation.planned_through < MealPlanRotation.end_date)
                )
            )
        )
        .order_by(MealPlanRotation.id)
    )
    planned = 0
    for rotation in list(due):
        planned += await _plan_rotation_ahead(session, rotation, today=today)
    await session.flush()
    return planned
