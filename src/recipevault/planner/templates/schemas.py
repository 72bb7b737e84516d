"""Copy, template and rotation request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from recipevault.http.schemas import NOT_NULL, Id, InputModel, OutputModel
from recipevault.planner.models import TEMPLATE_NAME_LENGTH
from recipevault.planner.schemas import PlanDate, PlannedRecipe

TemplateName = Annotated[str, Field(min_length=1, max_length=TEMPLATE_NAME_LENGTH)]


class PlanCopy(InputModel):
    """Copy the entries starting from ``from_start`` to ``from_end`` (a day, a week, at most
    100 days) to the same days from ``to_start`` on."""

    household_id: Id
    from_start: PlanDate
    from_end: PlanDate
    to_start: PlanDate


class TemplateCreate(InputModel):
    """Save the week of seven days from ``week_start`` under a name."""

    household_id: Id
    name: TemplateName
    week_start: PlanDate


class TemplateUpdate(InputModel):
    name: Annotated[TemplateName | None, NOT_NULL] = None


class TemplateApply(InputModel):
    """Plan the template on the seven days from ``week_start``."""

    week_start: PlanDate


class TemplateEntryRead(OutputModel):
    id: int
    weekday: int = Field(description="0 is Monday")
    days: int
    slot_id: int
    recipe_id: int | None
    recipe: PlannedRecipe | None
    recipe_unavailable: bool
    servings: float | None
    title: str | None
    note: str | None
    cook_id: int | None


class TemplateRead(OutputModel):
    id: int
    household_id: int
    name: str
    entries: list[TemplateEntryRead]


class TemplateList(OutputModel):
    items: list[TemplateRead]


class RotationCreate(InputModel):
    """Plan a template every ``every_weeks`` weeks, on the week of seven days from
    ``start_date``, then every ``every_weeks`` weeks after it, until ``end_date`` if given."""

    household_id: Id
    template_id: Id
    start_date: PlanDate
    every_weeks: int = Field(ge=1, le=52)
    end_date: PlanDate | None = None


class RotationRead(OutputModel):
    id: int
    household_id: int
    template_id: int
    start_date: dt.date
    every_weeks: int
    end_date: dt.date | None
    planned_through: dt.date | None = Field(
        description="The weeks that start on or before this day are planned"
    )


class RotationList(OutputModel):
    items: list[RotationRead]
