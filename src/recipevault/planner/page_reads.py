"""What a page of the plan reads besides the days: the viewer's households (for the selector)
and the shown household's meal slots, calendar feeds and templates, in one statement.

Each part is a SELECT of the same columns, the first of which says which part a row belongs to
(``Part``); the parts are put together with UNION ALL and ordered as their own listings order
them, so a page asks once however many slots, feeds and templates there are. Together with the
days' entries (``service.plan_rows``), a page of the plan is two statements beside identifying
the viewer.

A household whose planner was never used has no slots yet: its first page makes them
(``service.list_meal_slots``) and then reads its frame again. A GET reads what is committed,
through the read API; a form shown again reads in its unit of work (``source``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cache
from typing import Any

from fastapi import Request
from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    case,
    cast,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.db import SAFE_METHODS, Database, read_rows
from recipevault.households import service as households
from recipevault.planner import service
from recipevault.planner.models import CalendarFeed, MealPlanTemplate, MealSlot, Planner


class Part(IntEnum):
    HOUSEHOLD = 0
    STARTED = 1
    SLOT = 2
    FEED = 3
    TEMPLATE = 4


@dataclass(frozen=True, slots=True)
class Slot:
    id: int
    name: str
    time: dt.time | None


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    created_at: dt.datetime


@dataclass(slots=True)
class Frame:
    """What a page of ``household_id``'s plan shows around its days; ``started`` tells whether
    its planner was used (and so has its slots)."""

    household_id: int
    households: list[tuple[int, str]] = field(default_factory=list)
    started: bool = False
    slots: list[Slot] = field(default_factory=list)
    feeds: list[Feed] = field(default_factory=list)
    templates: list[tuple[int, str]] = field(default_factory=list)


def _row(
    part: Part,
    row_id: Any,
    *,
    name: Any = None,
    ordinal: Any = None,
    sort_name: Any = None,
    time: Any = None,
    created_at: Any = None,
) -> tuple[ColumnElement[Any], ...]:
    """A part's columns: which part, the row's id and what a page shows of it, and how rows are
    ordered within their part (``ordinal`` then ``sort_name``, then the id)."""

    def given(value: Any, of: Any) -> ColumnElement[Any]:
        # NULLs cast to the column they stand in for: PostgreSQL matches the parts' types
        # two at a time, and the first part's types are those the values are read back by.
        return cast(null(), of.type) if value is None else value

    return (
        literal_column(str(int(part)), Integer).label("part"),
        row_id.label("id"),
        given(name, MealSlot.name).label("name"),
        given(ordinal, MealSlot.position).label("ordinal"),
        given(sort_name, MealSlot.name).label("sort_name"),
        given(time, MealSlot.time).label("time"),
        given(created_at, CalendarFeed.created_at).label("created_at"),
    )


@cache
def _frame(with_templates: bool) -> Any:
    """The statement of a frame, with or without its templates (a week shows them), run with
    the parameters ``viewer_id`` and ``household_id``."""
    household = bindparam("household_id", type_=Integer)
    mine = households.households_listed(bindparam("viewer_id", type_=Integer)).subquery()
    parts = [
        select(
            *_row(
                Part.HOUSEHOLD,
                mine.c.id,
                name=mine.c.name,
                ordinal=case((mine.c.is_personal, 0), else_=1),
                sort_name=mine.c.name,
            )
        ),
        select(*_row(Part.STARTED, Planner.household_id)).where(Planner.household_id == household),
        select(
            *_row(
                Part.SLOT,
                MealSlot.id,
                name=MealSlot.name,
                ordinal=MealSlot.position,
                time=MealSlot.time,
            )
        ).where(MealSlot.household_id == household),
        select(*_row(Part.FEED, CalendarFeed.id, created_at=CalendarFeed.created_at)).where(
            CalendarFeed.household_id == household, CalendarFeed.revoked_at.is_(None)
        ),
    ]
    if with_templates:
        parts.append(
            select(
                *_row(
                    Part.TEMPLATE,
                    MealPlanTemplate.id,
                    name=MealPlanTemplate.name,
                    sort_name=MealPlanTemplate.name,
                )
            ).where(MealPlanTemplate.household_id == household)
        )
    frame = union_all(*parts)
    columns = frame.selected_columns
    return frame.order_by(columns.part, columns.ordinal, columns.sort_name, columns.id)


async def read_frame(
    source: Database | AsyncSession, *, viewer_id: int, household_id: int, templates: bool
) -> Frame:
    """The frame of ``household_id``'s page for ``viewer_id``, who may plan it (the caller
    checked): in ``source``'s transaction when it is a session, else as committed."""
    rows = await read_rows(
        source, _frame(templates), {"viewer_id": viewer_id, "household_id": household_id}
    )
    frame = Frame(household_id)
    for part, row_id, name, _, _, time, created_at in rows:
        if part == Part.HOUSEHOLD:
            frame.households.append((row_id, name))
        elif part == Part.STARTED:
            frame.started = True
        elif part == Part.SLOT:
            frame.slots.append(Slot(row_id, name, time))
        elif part == Part.FEED:
            frame.feeds.append(Feed(row_id, created_at))
        else:
            frame.templates.append((row_id, name))
    return frame


def source(request: Request, session: AsyncSession, database: Database) -> Database | AsyncSession:
    """Where a page reads: a GET what is committed; a form shown again in its unit of work,
    which sees what it wrote (a new calendar address)."""
    return database if request.method in SAFE_METHODS else session


async def page_frame(
    request: Request,
    session: AsyncSession,
    database: Database,
    identity: Identity,
    household_id: int | None,
    *,
    templates: bool,
) -> tuple[Frame, str]:
    """The frame of the page of the household asked for (the personal one unless asked), and
    its name; one the viewer may not plan is not found."""
    actor = identity.actor
    name = None
    guessed = household_id is None
    if household_id is None:
        if not actor.household_ids:
            raise households.HouseholdNotFound()
        # The personal household is listed first; most often it is the oldest one, so that is
        # read first, and the frame read again for the first household when it is not.
        household_id = min(actor.household_ids)
    elif not actor.in_household(household_id):
        # An admin planning for a household they do not belong to; anyone else: not found.
        await households.require_household(session, actor=actor, household_id=household_id)
        view, _ = await households.get_household(session, actor=actor, household_id=household_id)
        name = view.household.name
    frame = await read_frame(
        source(request, session, database),
        viewer_id=actor.user_id,
        household_id=household_id,
        templates=templates,
    )
    if name is None:
        first = frame.households[0][0] if frame.households else household_id
        if guessed and first != household_id:
            return await page_frame(
                request, session, database, identity, first, templates=templates
            )
        name = dict(frame.households).get(household_id)
        if name is None:  # no longer a member since the request was made
            raise households.HouseholdNotFound()
    if not frame.started:
        # The first use of this household's planner: its default slots, then the frame again
        # in the unit of work that made them.
        await service.list_meal_slots(session, actor=actor, household_id=household_id)
        frame = await read_frame(
            session, viewer_id=actor.user_id, household_id=household_id, templates=templates
        )
    return frame, name
