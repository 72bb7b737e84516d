"""Shopping list request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from recipevault.http.schemas import NOT_NULL, Flag, Id, InputModel, OutputModel
from recipevault.recipes.schemas import Servings
from recipevault.shopping.models import (
    AISLE_LENGTH,
    LIST_NAME_LENGTH,
    NOTE_LENGTH,
    OP_ID_LENGTH,
    TEXT_LENGTH,
)

ListName = Annotated[str, Field(min_length=1, max_length=LIST_NAME_LENGTH)]
ItemText = Annotated[
    str, Field(min_length=1, max_length=TEXT_LENGTH, examples=["2 lb chicken thighs"])
]
ItemNote = Annotated[str, Field(max_length=NOTE_LENGTH)]
Aisle = Annotated[str, Field(max_length=AISLE_LENGTH, examples=["Produce"])]
Position = Annotated[int, Field(ge=0, le=100_000)]

OpId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=OP_ID_LENGTH,
        pattern=r"^[A-Za-z0-9._:-]+$",
        examples=["0b7c2f7e-6a43-4d4f-9a51-3c1f8e0c9d21"],
        description="The client's id for this change (a UUID serves): sending the same "
        "change again with it changes nothing and answers as the first time did. Left "
        "out, the server gives the change an id of its own.",
    ),
]


class ShoppingListCreate(InputModel):
    household_id: Id
    name: ListName


class ShoppingListUpdate(InputModel):
    name: ListName


class ShoppingListRead(OutputModel):
    id: int
    household_id: int
    name: str
    sequence: int = Field(description="The number of the list's last change")


class ShoppingListSummary(ShoppingListRead):
    open_items: int
    checked_items: int


class ShoppingListList(OutputModel):
    items: list[ShoppingListSummary]


class ItemCreate(InputModel):
    """An item as a person types it ("2 lb chicken thighs", "birthday candles"): the amount,
    unit and food are read from it."""

    text: ItemText
    note: ItemNote | None = None
    aisle: Aisle | None = None
    op_id: OpId | None = None


class ItemUpdate(InputModel):
    """Any of: new text (read again), a note, an aisle, checked or not, a place in the list
    (0 is first; past the end, last). A note or an aisle set to null is cleared."""

    text: Annotated[ItemText | None, NOT_NULL] = None
    note: ItemNote | None = None
    aisle: Aisle | None = None
    checked: Annotated[Flag | None, NOT_NULL] = None
    position: Annotated[Position | None, NOT_NULL] = None
    op_id: OpId | None = None


class Operation(InputModel):
    """A change of the whole list (clear the checked items)."""

    op_id: OpId | None = None


class SourceRead(OutputModel):
    recipe_id: int | None = Field(description="None once the recipe was deleted")
    plan_entry_id: int | None = Field(description="Set when it came with a planned meal")
    servings: float | None


class ItemRead(OutputModel):
    id: int
    text: str = Field(
        description="The item as its reader reads it, in their unit preference: what was "
        'typed and what recipes brought, merged ("700 g flour", "200 g + 1 cup flour")'
    )
    quantity: float | None = Field(
        default=None, description="The merged amount, when it is one amount"
    )
    unit: str | None = Field(default=None, description="Its unit: a key (gram) or as typed")
    amounts: list[str] = Field(
        default_factory=list, description="The amounts that could not be merged, when several"
    )
    food: str | None = None
    food_id: int | None = Field(
        default=None, description="The household's food, when its foods vocabulary knows it"
    )
    note: str | None = None
    aisle: str | None = None
    checked: bool
    position: int
    sequence: int = Field(description="The number of the change that last changed the item")
    sources: list[SourceRead] = Field(
        default_factory=list, description="The recipes and planned meals it came with"
    )


class ListReadQuery(BaseModel):
    """The query string of `GET /api/v1/shopping-lists/{id}`."""

    model_config = ConfigDict(frozen=True)

    store_id: Id | None = Field(
        default=None,
        description="A store of the household's: open items come in its aisles' order",
    )


class ShoppingListDetail(ShoppingListRead):
    items: list[ItemRead] = Field(
        description="Open items in the list's order, then the 50 checked last, the last first"
    )
    checked_total: int = Field(description="How many items are checked, shown or not")


class ListChanges(OutputModel):
    sequence: int = Field(description="The number of the list's last change")
    items: list[ItemRead] = Field(description="Items added or changed since, checked or not")
    removed: list[int] = Field(description="Ids of the items removed since")


class UsualItem(OutputModel):
    name: str
    aisle: str | None
    uses: int = Field(description="How many times the household put it on a list")


class UsualItems(OutputModel):
    items: list[UsualItem]


class RecipeAdd(InputModel):
    recipe_id: Id
    servings: Servings | None = Field(
        default=None, description="Left out, the recipe's own servings"
    )
    include: Annotated[list[Annotated[int, Field(ge=0, le=10_000)]], Field(max_length=500)] = Field(
        default_factory=list,
        description="Positions of lines to add that would be offered instead (optional, "
        "to taste, staples)",
    )
    op_id: OpId | None = None


def _written_date(value: object) -> object:
    if isinstance(value, str | dt.date):
        return value
    raise PydanticCustomError("date_type", "Input should be a date written as YYYY-MM-DD")


# An ISO date ("2026-12-07"), not a number of seconds read as one.
Day = Annotated[dt.date, BeforeValidator(_written_date)]


class PlanAdd(InputModel):
    start: Day
    end: Day = Field(description="The last day, at most 100 days from `start`")
    op_id: OpId | None = None


class OfferedLine(OutputModel):
    recipe_id: int
    position: int = Field(description="Name it in `include` to add it")
    text: str
    reason: Literal["optional", "to taste", "staple"]


class ShoppingListAdded(ShoppingListDetail):
    offered: list[OfferedLine] = Field(description="Lines not added, and why")
