"""Meal slot and meal plan entry request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from recipevault.http.schemas import NOT_NULL, Id, InputModel, OutputModel
from recipevault.planner.models import NOTE_LENGTH, SLOT_NAME_LENGTH, TITLE_LENGTH
from recipevault.recipes.references import RecipeReference
from recipevault.recipes.schemas import Servings

# What a plan may hold: dates a household plans for, and the longest range read, copied or
# spanned by one entry at once.
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
MAX_RANGE_DAYS = 100


PlanDate = dt.date
"""A day in a plan, an ISO date; services refuse (422, naming the field) one before
``FIRST_DATE`` or after ``LAST_DATE``: a rule of the plan, not of the date's form."""


def _wall_clock(moment: dt.time) -> dt.time:
    if moment.tzinfo is not None:
        raise ValueError("is a time of day, without an offset")
    return moment.replace(second=0, microsecond=0)


def _time_of_day_schema(schema: dict[str, Any]) -> None:
    # JSON Schema's "time" format is RFC 3339's, with seconds and an offset: not what is taken.
    schema.pop("format", None)
    schema["pattern"] = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


SlotTime = Annotated[
    dt.time,
    AfterValidator(_wall_clock),
    PlainSerializer(lambda moment: moment.strftime("%H:%M"), return_type=str),
    Field(examples=["19:00"], json_schema_extra=_time_of_day_schema),
]
"""A time of day to the minute, "HH:MM"."""

SlotName = Annotated[str, Field(min_length=1, max_length=SLOT_NAME_LENGTH)]
Position = Annotated[int, Field(ge=0, le=1000)]
Title = Annotated[str, Field(min_length=1, max_length=TITLE_LENGTH)]
Note = Annotated[str, Field(min_length=1, max_length=NOTE_LENGTH)]


class MealSlotCreate(InputModel):
    name: SlotName
    time: SlotTime | None = None
    position: Position | None = Field(
        default=None, description="0 is first; left out or past the end, the slot goes last"
    )


class MealSlotUpdate(InputModel):
    name: Annotated[SlotName | None, NOT_NULL] = None
    time: SlotTime | None = None
    position: Annotated[Position | None, NOT_NULL] = None


class MealSlotRead(OutputModel):
    id: int
    name: str
    time: SlotTime | None
    position: int


class MealPlanEntryCreate(InputModel):
    """A recipe (servings default to the recipe's), a note alone ("Eating out"), or the
    leftovers of another entry; from ``date`` to ``end_date`` (the same day if left out)."""

    household_id: Id
    date: PlanDate
    end_date: PlanDate | None = None
    slot_id: Id
    recipe_id: Id | None = None
    servings: Servings | None = None
    title: Title | None = None
    note: Note | None = None
    cook_id: Id | None = Field(default=None, description="A member of the household")
    leftovers_of: Id | None = Field(default=None, description="The entry this one eats up")


class MealPlanEntryUpdate(InputModel):
    """What to change; moving ``date`` alone keeps the entry's length."""

    date: Annotated[PlanDate | None, NOT_NULL] = None
    end_date: Annotated[PlanDate | None, NOT_NULL] = None
    slot_id: Annotated[Id | None, NOT_NULL] = None
    recipe_id: Id | None = None
    servings: Servings | None = None
    title: Title | None = None
    note: Note | None = None
    cook_id: Id | None = None
    leftovers_of: Id | None = None


class MealPlanRangeQuery(BaseModel):
    """The query string of `GET /api/v1/meal-plan`."""

    model_config = ConfigDict(frozen=True)

    household_id: Id
    start: PlanDate
    end: PlanDate = Field(description="Included; at most 100 days from start")


class PlannedRecipe(OutputModel):
    id: int
    title: str
    slug: str

    @classmethod
    def of(cls, reference: RecipeReference | None) -> PlannedRecipe | None:
        if reference is None:
            return None
        return cls(id=reference.id, title=reference.title, slug=reference.slug)


class MealPlanEntryRead(OutputModel):
    id: int
    household_id: int
    date: dt.date
    end_date: dt.date
    slot_id: int
    recipe_id: int | None
    recipe: PlannedRecipe | None
    recipe_unavailable: bool = Field(
        description="A recipe was planned that you can no longer read (or that was deleted): "
        "it is shown as no longer available, without its id, title or slug"
    )
    servings: float | None
    title: str | None
    note: str | None
    cook_id: int | None
    leftovers_of: int | None


class MealPlanEntryList(OutputModel):
    items: list[MealPlanEntryRead]
