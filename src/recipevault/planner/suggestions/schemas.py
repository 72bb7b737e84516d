"""What a request for suggestions sends and what it gets back."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from recipevault.http.schemas import Flag, Id, InputModel, OutputModel

MAX_DAYS = 100
MAX_SLOTS = 20
MAX_TERMS = 10
MAX_FOODS = 50
MAX_WINDOW_DAYS = 365
MAX_MINUTES = 7 * 24 * 60
# Far enough from the ends of the calendar that a window of days either side stays in it.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)
Name = Annotated[str, Field(min_length=1, max_length=100)]
Names = Annotated[list[Name], Field(max_length=MAX_TERMS)]


class SuggestionRules(InputModel):
    """What every proposal must meet (tags, categories, time, repeats, foods on hand) and how
    to rank them (rated first). All optional."""

    include_tags: Names = Field(
        default_factory=list, description="Tags a proposal has, every one of them"
    )
    exclude_tags: Names = Field(default_factory=list, description="Tags a proposal has none of")
    include_categories: Names = Field(
        default_factory=list, description="Categories a proposal is in, every one of them"
    )
    exclude_categories: Names = Field(
        default_factory=list, description="Categories a proposal is in none of"
    )
    max_total_minutes: int | None = Field(
        default=None, ge=1, le=MAX_MINUTES, description="Ready in this many minutes or less"
    )
    not_planned_within_days: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WINDOW_DAYS,
        description="No entry of the household, nor another proposal, has the recipe within "
        "this many days before or after",
    )
    foods_on_hand: Annotated[list[Name], Field(max_length=MAX_FOODS)] = Field(
        default_factory=list,
        description="Only recipes using some of these foods, those with the larger share "
        "of their foods on hand first (as cook-with ranks them)",
    )
    rated_first: Flag = Field(default=False, description="Rated recipes first, best first")


def _no_rules() -> SuggestionRules:
    return SuggestionRules()


class SuggestionRequest(InputModel):
    """A range of days and the slots to fill in it. `end` may not be before `start`, and no
    tag or category may be both included and excluded: a 422 names the field (a schema cannot
    bound a date, nor relate two fields)."""

    household_id: Id
    start: dt.date = Field(description=f"From {EARLIEST} to {LATEST}")
    end: dt.date = Field(description=f"The last day, at most {MAX_DAYS} days from `start`")
    slot_ids: list[Id] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SLOTS,
        description="The household's slots to fill (each once, however often named); left "
        "out, all of them",
    )
    rules: SuggestionRules = Field(default_factory=_no_rules)
    seed: int = Field(default=0, ge=0, le=2**53, description="The same seed, the same plan")


class SuggestedRecipe(OutputModel):
    id: int
    title: str
    slug: str


class Suggestion(OutputModel):
    """A proposal for an empty slot on a day, and why; ``recipe`` is null, with the reason,
    when no recipe meets the rules there."""

    date: dt.date
    slot_id: int
    recipe: SuggestedRecipe | None
    reasons: list[str]


class SuggestionList(OutputModel):
    items: list[Suggestion]
