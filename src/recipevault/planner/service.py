"""Meal plan use cases: a household's meal slots and what is planned in them.

The plan belongs to a household: its members read and change it, admins too (as they manage
every household), and to anyone else it does not exist (404). A recipe is planned only by
someone who may read it; one that later becomes unreadable, or is deleted, is shown as no
longer available, with nothing of it (no id, title or slug).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Literal, Protocol, TypeVar

import orjson
from sqlalchemy import Float, String, bindparam, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.db import Database, read_rows, upsert
from recipevault.errors import Conflict, NotFound, Unprocessable, field_errors
from recipevault.households.service import memberships, require_household
from recipevault.planner.models import (
    MealPlanEntry,
    MealPlanTemplateEntry,
    MealSlot,
    Planner,
)
from recipevault.planner.schemas import FIRST_DATE, LAST_DATE, MAX_RANGE_DAYS, MealPlanEntryCreate
from recipevault.policy import Actor, ViewerKind, read_parameters, viewer_kind
from recipevault.recipes.references import (
    RecipeReference,
    readable_references,
    with_readable_reference,
)

DEFAULT_SLOTS: tuple[tuple[str, dt.time | None], ...] = (
    ("Breakfast", dt.time(8, 0)),
    ("Lunch", dt.time(12, 30)),
    ("Dinner", dt.time(19, 0)),
    ("Snack", None),
)


class MealSlotNotFound(NotFound):
    title = "Meal slot not found"


class PlanEntryNotFound(NotFound):
    title = "Meal plan entry not found"


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    """An entry as its reader may see it: the recipe when they may read it; when a recipe was
    planned that they may not (any more), ``recipe_unavailable`` and nothing of it."""

    entry: MealPlanEntry
    recipe: RecipeReference | None
    recipe_unavailable: bool


# --- Whose plan ------------------------------------------------------------------------------


class HouseholdRow(Protocol):
    @property
    def household_id(self) -> int: ...


Row = TypeVar("Row", bound=HouseholdRow)


async def household_row(
    session: AsyncSession, actor: Actor, model: type[Row], row_id: int, not_found: type[NotFound]
) -> Row:
    """The row of a household's plan (an entry, a template ...), or ``not_found`` when it is
    missing or of a household whose plan ``actor`` may not see."""
    row = await session.get(model, row_id)
    if row is None or not (actor.is_admin or actor.in_household(row.household_id)):
        raise not_found()
    return row


async def _start_planner(session: AsyncSession, household_id: int) -> None:
    """Give a household its default slots the first time its planner is used. Two first uses
    at once insert the ``Planner`` row once: only the one that did adds the slots. (Reads
    look first, so that only a first use writes.)"""
    if await session.get(Planner, household_id) is not None:
        return
    started = await session.scalar(
        upsert(session, Planner)
        .values(household_id=household_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(Planner.household_id)
    )
    if started is not None:
        session.add_all(
            MealSlot(household_id=household_id, name=name, time=time, position=position)
            for position, (name, time) in enumerate(DEFAULT_SLOTS)
        )
        await session.flush()


def check_dates(*, where: str = "body", **dates: dt.date | None) -> None:
    """Refuse (422, naming the first such field) a day the plan does not hold."""
    for field, day in dates.items():
        if day is not None and not FIRST_DATE <= day <= LAST_DATE:
            message = f"Must be between {FIRST_DATE} and {LAST_DATE}"
            raise Unprocessable(message, extra=field_errors(field, message, where=where))


def check_range(start: dt.date, end: dt.date, *, where: str, end_field: str) -> None:
    """Refuse (422, naming ``end_field``) a range that ends before it starts or spans more than
    ``MAX_RANGE_DAYS`` days: a rule relating two fields, which no schema can state, so refused
    as what the request asks for rather than as its form (as ``check_dates`` does)."""
    if end < start:
        message = "Must not be before the start"
        raise Unprocessable(
            "The range ends before it starts.",
            extra=field_errors(end_field, message, where=where),
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        message = f"At most {MAX_RANGE_DAYS} days from the start"
        raise Unprocessable(
            f"A range spans at most {MAX_RANGE_DAYS} days.",
            extra=field_errors(end_field, message, where=where),
        )


# --- Slots -----------------------------------------------------------------------------------


async def _slots(session: AsyncSession, household_id: int) -> list[MealSlot]:
    result = await session.scalars(
        select(MealSlot)
        .where(MealSlot.household_id == household_id)
        .order_by(MealSlot.position, MealSlot.id)
    )
    return list(result)


def _place(slots: list[MealSlot], slot: MealSlot, position: int | None) -> None:
    """Put ``slot`` at ``position`` (last when None or past the end), and number them all."""
    if slot in slots:
        slots.remove(slot)
    slots.insert(len(slots) if position is None else min(position, len(slots)), slot)
    for number, each in enumerate(slots):
        if each.position != number:
            each.position = number


async def list_meal_slots(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> list[MealSlot]:
    """The household's slots in order (the defaults, the first time its planner is used)."""
    await require_household(session, actor=actor, household_id=household_id)
    await _start_planner(session, household_id)
    return await _slots(session, household_id)


async def add_meal_slot(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    name: str,
    time: dt.time | None,
    position: int | None,
) -> MealSlot:
    await require_household(session, actor=actor, household_id=household_id)
    await _start_planner(session, household_id)
    slots = await _slots(session, household_id)
    slot = MealSlot(household_id=household_id, name=name, time=time, position=len(slots))
    _place(slots, slot, position)
    session.add(slot)
    await session.flush()
    return slot


async def _slot(session: AsyncSession, actor: Actor, household_id: int, slot_id: int) -> MealSlot:
    await require_household(session, actor=actor, household_id=household_id)
    slot = await session.get(MealSlot, slot_id)
    if slot is None or slot.household_id != household_id:
        raise MealSlotNotFound()
    return slot


async def change_meal_slot(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    slot_id: int,
    changes: Mapping[str, Any],
) -> MealSlot:
    """Rename a slot, set or clear its time, or move it to another position."""
    slot = await _slot(session, actor, household_id, slot_id)
    if "name" in changes:
        slot.name = changes["name"]
    if "time" in changes:
        slot.time = changes["time"]
    if "position" in changes:
        _place(await _slots(session, household_id), slot, changes["position"])
    await session.flush()
    return slot


async def remove_meal_slot(
    session: AsyncSession, *, actor: Actor, household_id: int, slot_id: int
) -> None:
    """Remove a slot nothing is planned in (moving or removing what is comes first: removing
    the slot must not take planned meals or templates with it)."""
    slot = await _slot(session, actor, household_id, slot_id)
    planned = await session.scalar(
        select(func.count()).select_from(MealPlanEntry).where(MealPlanEntry.slot_id == slot_id)
    )
    templated = await session.scalar(
        select(func.count())
        .select_from(MealPlanTemplateEntry)
        .where(MealPlanTemplateEntry.slot_id == slot_id)
    )
    if planned or templated:
        raise Conflict(
            f"{planned} planned meals and {templated} template entries use this slot: "
            "move or remove them first."
        )
    slots = await _slots(session, household_id)
    slots.remove(slot)
    await session.delete(slot)
    for number, each in enumerate(slots):
        each.position = number
    await session.flush()


# --- What the plan refers to -------------------------------------------------------------------


def _refused(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra=field_errors(field, message))


async def check_slots(session: AsyncSession, *, household_id: int, slot_ids: Iterable[int]) -> None:
    """Refuse (422 naming ``slot_id``) slots that are not the household's."""
    wanted = set(slot_ids)
    if not wanted:
        return
    found = set(
        await session.scalars(
            select(MealSlot.id).where(
                MealSlot.id.in_(sorted(wanted)), MealSlot.household_id == household_id
            )
        )
    )
    if wanted - found:
        raise _refused("slot_id", "No such meal slot in this household")


async def plannable_recipe(
    session: AsyncSession, *, actor: Actor, recipe_id: int
) -> RecipeReference:
    """The recipe, if ``actor`` may plan it (read it, and it is not in the trash); else 422
    naming ``recipe_id``, whether it is missing or hidden."""
    found = await readable_references(session, viewer=actor, recipe_ids=[recipe_id])
    if recipe_id not in found:
        raise _refused("recipe_id", "No such recipe")
    return found[recipe_id]


async def check_cook(session: AsyncSession, *, household_id: int, cook_id: int) -> None:
    if household_id not in {household for household, _ in await memberships(session, cook_id)}:
        raise _refused("cook_id", "Not a member of this household")


async def _leftovers_source(
    session: AsyncSession, household_id: int, source_id: int, entry: MealPlanEntry
) -> None:
    source = await session.get(MealPlanEntry, source_id)
    if source is None or source.household_id != household_id or source_id == entry.id:
        raise _refused("leftovers_of", "No such entry in this household")
    if source.date > entry.date:
        raise _refused("leftovers_of", "Leftovers come after the meal they are left from")


def _check_span(entry: MealPlanEntry) -> None:
    if entry.end_date < entry.date:
        raise _refused("end_date", "Must not be before the date")
    if (entry.end_date - entry.date).days + 1 > MAX_RANGE_DAYS:
        raise _refused("end_date", f"An entry spans at most {MAX_RANGE_DAYS} days")


def _check_contents(entry: MealPlanEntry) -> None:
    if (
        entry.recipe_id is None
        and entry.leftovers_of_id is None
        and not (entry.title or entry.note)
    ):
        raise _refused("recipe_id", "Plan a recipe, leftovers, or give a title or a note")


# --- Reading the plan --------------------------------------------------------------------------


async def planned_entries(
    session: AsyncSession, *, actor: Actor, entries: Sequence[MealPlanEntry]
) -> list[PlannedEntry]:
    """``entries`` as ``actor`` may see them, their recipes read in one query."""
    recipes = await readable_references(
        session,
        viewer=actor,
        recipe_ids=(entry.recipe_id for entry in entries if entry.recipe_id is not None),
    )
    return [
        PlannedEntry(
            entry=entry,
            recipe=recipes.get(entry.recipe_id) if entry.recipe_id is not None else None,
            recipe_unavailable=entry.recipe_id is not None and entry.recipe_id not in recipes,
        )
        for entry in entries
    ]


# The entries' fields as the drivers give them (dates as ISO text on SQLite, date objects on
# PostgreSQL; servings as a number), which serialize alike: no conversion row by row.
_ENTRY_FIELDS = (
    MealPlanEntry.id,
    MealPlanEntry.household_id,
    type_coerce(MealPlanEntry.date, String),
    type_coerce(MealPlanEntry.end_date, String),
    MealPlanEntry.slot_id,
    MealPlanEntry.recipe_id,
    type_coerce(MealPlanEntry.servings, Float),
    MealPlanEntry.title,
    MealPlanEntry.note,
    MealPlanEntry.cook_id,
    MealPlanEntry.leftovers_of_id,
)
# What a page shows of them (``PlanRow``), as SQLAlchemy reads them back (dates as dates),
# servings as numbers: a page writes them as plain numbers, which a float of at most three
# decimals gives as its decimal does, without a decimal made for each row.
_SHOWN_FIELDS = (
    MealPlanEntry.id,
    MealPlanEntry.date,
    MealPlanEntry.end_date,
    MealPlanEntry.slot_id,
    MealPlanEntry.recipe_id,
    type_coerce(MealPlanEntry.servings, Float),
    MealPlanEntry.title,
    MealPlanEntry.note,
    MealPlanEntry.leftovers_of_id,
)
Shape = Literal["entries", "json", "shown"]


@dataclass(frozen=True, slots=True)
class PlanRow:
    """An entry as a page shows it, with the recipe it plans as its reader may see it (all
    None when there is none, or they may not read it: ``recipe_unavailable`` tells which)."""

    id: int
    date: dt.date
    end_date: dt.date
    slot_id: int
    planned_recipe_id: int | None
    servings: Decimal | float | None
    title: str | None
    note: str | None
    leftovers_of_id: int | None
    recipe_id: int | None
    recipe_title: str | None
    recipe_slug: str | None
    recipe_servings: Decimal | float | None

    @property
    def recipe_unavailable(self) -> bool:
        return self.planned_recipe_id is not None and self.recipe_id is None


def plan_row(planned: PlannedEntry) -> PlanRow:
    """An entry read as an object (one just changed) as a page shows it."""
    entry, recipe = planned.entry, planned.recipe
    return PlanRow(
        id=entry.id,
        date=entry.date,
        end_date=entry.end_date,
        slot_id=entry.slot_id,
        planned_recipe_id=entry.recipe_id,
        servings=entry.servings,
        title=entry.title,
        note=entry.note,
        leftovers_of_id=entry.leftovers_of_id,
        recipe_id=None if recipe is None else recipe.id,
        recipe_title=None if recipe is None else recipe.title,
        recipe_slug=None if recipe is None else recipe.slug,
        recipe_servings=None if recipe is None else recipe.servings,
    )


@cache
def _plan_range(kind: ViewerKind, shape: Shape) -> Any:
    """What is planned on a range of days, by date and slot position, each entry with the
    recipe it plans as a viewer of ``kind`` may see it (``with_readable_reference``): one
    statement, built once per kind and shape, run with ``_range_parameters``. Its columns:
    the entries and whole references (``entries``); the entries' fields as the API answers
    them (``_ENTRY_FIELDS``) and the recipe's id, title and slug (``json``); or a ``PlanRow``'s
    (``shown``)."""
    entries = {
        "entries": select(MealPlanEntry),
        "json": select(*_ENTRY_FIELDS),
        "shown": select(*_SHOWN_FIELDS),
    }[shape]
    statement = (
        entries.join(MealSlot, MealSlot.id == MealPlanEntry.slot_id)
        .where(
            MealPlanEntry.household_id == bindparam("household_id"),
            MealPlanEntry.date.between(bindparam("earliest"), bindparam("end")),
            MealPlanEntry.end_date >= bindparam("start"),
        )
        .order_by(MealPlanEntry.date, MealSlot.position, MealPlanEntry.id)
    )
    if shape == "entries":
        return with_readable_reference(statement, MealPlanEntry.recipe_id, kind)
    referenced = with_readable_reference(statement, MealPlanEntry.recipe_id, kind, servings=False)
    if shape == "json":
        return referenced
    recipe_servings = list(referenced.selected_columns)[-1].table.c.servings
    return referenced.add_columns(type_coerce(recipe_servings, Float))


def _range_parameters(
    actor: Actor, household_id: int, start: dt.date, end: dt.date
) -> dict[str, Any]:
    check_dates(where="query", start=start, end=end)
    check_range(start, end, where="query", end_field="end")
    # Entries span at most MAX_RANGE_DAYS days: the index on (household, date) bounds both ends.
    return {
        "household_id": household_id,
        "earliest": start - dt.timedelta(days=MAX_RANGE_DAYS - 1),
        "start": start,
        "end": end,
        **read_parameters(actor),
    }


async def list_plan(
    session: AsyncSession, *, actor: Actor, household_id: int, start: dt.date, end: dt.date
) -> list[PlannedEntry]:
    """What is planned from ``start`` to ``end`` (both included, at most ``MAX_RANGE_DAYS``
    days): every entry on one of those days, by date and slot position. One query."""
    parameters = _range_parameters(actor, household_id, start, end)
    await require_household(session, actor=actor, household_id=household_id)
    found = await session.execute(_plan_range(viewer_kind(actor), "entries"), parameters)
    return [
        PlannedEntry(
            entry=entry,
            recipe=None if recipe[0] is None else RecipeReference(*recipe),
            recipe_unavailable=entry.recipe_id is not None and recipe[0] is None,
        )
        for entry, *recipe in found
    ]


async def _planned_rows(
    source: Database | AsyncSession,
    actor: Actor,
    household_id: int,
    start: dt.date,
    end: dt.date,
    shape: Shape,
) -> Sequence[Any]:
    """``_plan_range``'s rows of ``shape``: in ``source``'s transaction when it is a session,
    else through the database's read API as committed. One query, or two for an admin outside
    the household (whether it exists)."""
    parameters = _range_parameters(actor, household_id, start, end)
    if not actor.in_household(household_id):
        if isinstance(source, AsyncSession):
            await require_household(source, actor=actor, household_id=household_id)
        else:
            async with source.session(write=False) as session:
                await require_household(session, actor=actor, household_id=household_id)
    return await read_rows(source, _plan_range(viewer_kind(actor), shape), parameters)


async def plan_json(
    database: Database, *, actor: Actor, household_id: int, start: dt.date, end: dt.date
) -> bytes:
    """``list_plan`` as the API answers it (``MealPlanEntryList``), read through the
    database's read API: one query, or two for an admin outside the household (whether it
    exists), and no ORM objects or response models on the way."""
    rows = await _planned_rows(database, actor, household_id, start, end, "json")
    return orjson.dumps({"items": [_entry_fields(row) for row in rows]})


async def plan_rows(
    source: Database | AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    start: dt.date,
    end: dt.date,
) -> list[PlanRow]:
    """``list_plan`` as a page shows it: in ``source``'s transaction when it is a session (a
    page shown again inside a unit of work), else through the database's read API as
    committed; one query, with no ORM objects."""
    rows = await _planned_rows(source, actor, household_id, start, end, "shown")
    return [PlanRow(*row) for row in rows]


def _entry_fields(row: Sequence[Any]) -> dict[str, Any]:
    """An entry's row as ``MealPlanEntryRead`` serializes it, in its fields' order (tests hold
    the two to each other)."""
    (
        entry_id,
        household_id,
        date,
        end_date,
        slot_id,
        planned_recipe_id,
        servings,
        title,
        note,
        cook_id,
        leftovers_of,
        recipe_id,
        recipe_title,
        recipe_slug,
    ) = row
    return {
        "id": entry_id,
        "household_id": household_id,
        "date": date,
        "end_date": end_date,
        "slot_id": slot_id,
        "recipe_id": recipe_id,
        "recipe": None
        if recipe_id is None
        else {"id": recipe_id, "title": recipe_title, "slug": recipe_slug},
        "recipe_unavailable": planned_recipe_id is not None and recipe_id is None,
        "servings": None if servings is None else float(servings),
        "title": title,
        "note": note,
        "cook_id": cook_id,
        "leftovers_of": leftovers_of,
    }


async def _entry(session: AsyncSession, actor: Actor, entry_id: int) -> MealPlanEntry:
    return await household_row(session, actor, MealPlanEntry, entry_id, PlanEntryNotFound)


async def get_plan_entry(session: AsyncSession, *, actor: Actor, entry_id: int) -> PlannedEntry:
    entry = await _entry(session, actor, entry_id)
    (planned,) = await planned_entries(session, actor=actor, entries=[entry])
    return planned


# --- Changing the plan -------------------------------------------------------------------------


async def _check_references(
    session: AsyncSession, actor: Actor, entry: MealPlanEntry, changed: set[str]
) -> RecipeReference | None:
    """Check what ``entry`` newly refers to (the ``changed`` attributes); the recipe it plans,
    if that changed."""
    _check_span(entry)
    _check_contents(entry)
    if "slot_id" in changed:
        await check_slots(session, household_id=entry.household_id, slot_ids=[entry.slot_id])
    if "cook_id" in changed and entry.cook_id is not None:
        await check_cook(session, household_id=entry.household_id, cook_id=entry.cook_id)
    if changed & {"leftovers_of_id", "date"} and entry.leftovers_of_id is not None:
        await _leftovers_source(session, entry.household_id, entry.leftovers_of_id, entry)
    if "recipe_id" in changed and entry.recipe_id is not None:
        return await plannable_recipe(session, actor=actor, recipe_id=entry.recipe_id)
    return None


async def add_plan_entry(
    session: AsyncSession, *, actor: Actor, data: MealPlanEntryCreate
) -> PlannedEntry:
    check_dates(date=data.date, end_date=data.end_date)
    await require_household(session, actor=actor, household_id=data.household_id)
    entry = MealPlanEntry(
        household_id=data.household_id,
        date=data.date,
        end_date=data.end_date or data.date,
        slot_id=data.slot_id,
        recipe_id=data.recipe_id,
        servings=data.servings,
        title=data.title,
        note=data.note,
        cook_id=data.cook_id,
        leftovers_of_id=data.leftovers_of,
        created_by_id=actor.user_id,
        updated_at=utcnow(),
        sequence=0,
    )
    recipe = await _check_references(
        session, actor, entry, {"slot_id", "cook_id", "leftovers_of_id", "recipe_id"}
    )
    if recipe is not None and entry.servings is None:
        entry.servings = recipe.servings
    session.add(entry)
    await session.flush()
    return PlannedEntry(entry=entry, recipe=recipe, recipe_unavailable=False)


_FIELDS = {"leftovers_of": "leftovers_of_id"}


async def change_plan_entry(
    session: AsyncSession, *, actor: Actor, entry_id: int, changes: Mapping[str, Any]
) -> PlannedEntry:
    """Change an entry: moving its ``date`` alone keeps its length, and planning another recipe
    without servings plans the recipe's. Each change counts in its ``sequence``."""
    check_dates(date=changes.get("date"), end_date=changes.get("end_date"))
    entry = await _entry(session, actor, entry_id)
    values = {_FIELDS.get(name, name): value for name, value in changes.items()}
    if "date" in values and "end_date" not in values:
        values["end_date"] = values["date"] + (entry.end_date - entry.date)
    changed = {name for name, value in values.items() if getattr(entry, name) != value}
    if not changed:
        return await get_plan_entry(session, actor=actor, entry_id=entry_id)
    # Nothing reaches the database before it is checked: an unknown id is a 422, not a 500.
    with session.no_autoflush:
        for name in changed:
            setattr(entry, name, values[name])
        recipe = await _check_references(session, actor, entry, changed)
    if recipe is not None and "servings" not in values:
        entry.servings = recipe.servings
    entry.sequence += 1
    entry.updated_at = utcnow()
    await session.flush()
    return await get_plan_entry(session, actor=actor, entry_id=entry_id)


async def remove_plan_entry(session: AsyncSession, *, actor: Actor, entry_id: int) -> None:
    await session.delete(await _entry(session, actor, entry_id))
    await session.flush()
