"""Suggestions: a recipe proposed for each empty slot-day of a range, under rules, with the
rules each proposal meets. Nothing is saved; the same request and seed give the same plan.

The recipes come from the recipes feature (``recipes.choices``): those the asking person may
read that the household's members may read as members (``policy.household_reader``), so that
a proposal, once planned, is one every member can open. Which to propose is ``picking``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import Database
from recipevault.errors import Unprocessable, field_errors
from recipevault.households import service as households
from recipevault.planner.models import MealPlanEntry, MealSlot
from recipevault.planner.suggestions import picking
from recipevault.planner.suggestions.schemas import (
    EARLIEST,
    LATEST,
    MAX_DAYS,
    SuggestionRequest,
)
from recipevault.policy import Actor, household_reader
from recipevault.recipes.choices import choices
from recipevault.recipes.listing import RecipeFilters

# How many recipes a suggestion chooses from at least: a varied plan, and a read that stays
# small however many recipes there are. ``_pool_size`` takes more when a range needs them.
CHOICES = 500


async def suggest(
    session: AsyncSession, database: Database, *, actor: Actor, data: SuggestionRequest
) -> list[picking.Pick]:
    """A pick for each slot-day of the range that no entry of the household covers, in order
    of day then slot; a household the actor may not see is not found."""
    _check(data)
    await households.get_household(session, actor=actor, household_id=data.household_id)
    slot_ids = await _slots(session, data)
    rules = data.rules
    window = dt.timedelta(days=rules.not_planned_within_days or 0)
    entries = (
        await session.execute(
            select(
                MealPlanEntry.slot_id,
                MealPlanEntry.date,
                MealPlanEntry.end_date,
                MealPlanEntry.recipe_id,
            ).where(
                MealPlanEntry.household_id == data.household_id,
                MealPlanEntry.date <= data.end + window,
                MealPlanEntry.end_date >= data.start - window,
            )
        )
    ).all()
    covered = {
        (slot_id, day)
        for slot_id, start, end, _ in entries
        for day in _days(max(start, data.start), min(end, data.end))
    }
    slot_days = [
        picking.SlotDay(day, slot_id)
        for day in _days(data.start, data.end)
        for slot_id in slot_ids
        if (slot_id, day) not in covered
    ]
    if not slot_days:
        return []
    planned = [
        picking.Planned(recipe_id, start, end)
        for _, start, end, recipe_id in entries
        if recipe_id is not None
    ]
    found = await choices(
        database,
        viewer=actor,
        audience=household_reader(data.household_id),
        filters=RecipeFilters(
            tags=rules.include_tags,
            categories=rules.include_categories,
            exclude_tags=rules.exclude_tags,
            exclude_categories=rules.exclude_categories,
            max_total_minutes=rules.max_total_minutes,
        ),
        limit=_pool_size(slot_days, planned),
        seed=data.seed,
        rated_first=rules.rated_first,
        foods_on_hand=rules.foods_on_hand,
    )
    offered = picking.ordered(found, seed=data.seed, rules=rules)
    return picking.pick(slot_days, offered, planned=planned, rules=rules)


def _pool_size(slot_days: Sequence[picking.SlotDay], planned: Sequence[picking.Planned]) -> int:
    """How many recipes to choose from so that the sample never changes an answer: each
    slot-day may rule out every recipe planned nearby and every earlier proposal, so a pool
    one larger than all of those together always holds one that fits when any recipe does.
    (A smaller sample would say "every recipe is planned nearby" while others were not, and
    repeat recipes while others were left.)"""
    recipe_ids = {entry.recipe_id for entry in planned}
    return max(CHOICES, len(slot_days) + len(recipe_ids) + 1)


def _check(data: SuggestionRequest) -> None:
    """What the schema cannot say, as it relates two fields: a range, and rules that do not
    contradict each other; and the bounds of a date, which a schema cannot give."""
    for field, day in (("start", data.start), ("end", data.end)):
        if not EARLIEST <= day <= LATEST:
            _refuse(field, f"must be from {EARLIEST} to {LATEST}")
    if data.end < data.start:
        _refuse("end", "must not be before start")
    if (data.end - data.start).days + 1 > MAX_DAYS:
        _refuse("end", f"must be at most {MAX_DAYS} days from start, both included")
    rules = data.rules
    for kind, included, excluded in (
        ("tags", rules.include_tags, rules.exclude_tags),
        ("categories", rules.include_categories, rules.exclude_categories),
    ):
        both = sorted({n.casefold() for n in included} & {n.casefold() for n in excluded})
        if both:
            _refuse(f"rules.exclude_{kind}", f"names what is also included: {', '.join(both)}")


def _refuse(field: str, message: str) -> NoReturn:
    raise Unprocessable(f"{field} {message}", extra=field_errors(field, message))


async def _slots(session: AsyncSession, data: SuggestionRequest) -> list[int]:
    """The ids of the slots to fill, in the household's order; naming a slot that is not the
    household's is refused."""
    rows = await session.execute(
        select(MealSlot.id)
        .where(MealSlot.household_id == data.household_id)
        .order_by(MealSlot.position, MealSlot.id)
    )
    ids = list(rows.scalars())
    if data.slot_ids is None:
        return ids
    unknown = set(data.slot_ids) - set(ids)
    if unknown:
        _refuse("slot_ids", f"not slots of this household: {', '.join(map(str, sorted(unknown)))}")
    wanted = set(data.slot_ids)
    return [slot_id for slot_id in ids if slot_id in wanted]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
