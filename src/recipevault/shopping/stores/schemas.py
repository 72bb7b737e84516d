"""Store request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from recipevault.http.schemas import NOT_NULL, InputModel, OutputModel
from recipevault.shopping.models import AISLE_LENGTH, MAX_AISLES, STORE_NAME_LENGTH

StoreName = Annotated[str, Field(min_length=1, max_length=STORE_NAME_LENGTH)]
AisleName = Annotated[str, Field(min_length=1, max_length=AISLE_LENGTH)]
Aisles = Annotated[
    list[AisleName],
    Field(
        max_length=MAX_AISLES,
        description="The aisles in the order one walks them; an aisle named again (ignoring "
        "case) keeps its first place",
        examples=[["Produce", "Bakery", "Dairy", "Frozen"]],
    ),
]


def _named_once(aisles: list[str] | None) -> list[str] | None:
    """Each aisle once: an aisle named again (ignoring case) keeps its first place."""
    if aisles is None:
        return None
    seen: set[str] = set()
    kept = []
    for aisle in aisles:
        if aisle.casefold() not in seen:
            seen.add(aisle.casefold())
            kept.append(aisle)
    return kept


class StoreCreate(InputModel):
    name: StoreName
    aisles: Aisles = Field(default_factory=list)

    _once = field_validator("aisles")(_named_once)


class StoreUpdate(InputModel):
    name: Annotated[StoreName | None, NOT_NULL] = None
    aisles: Annotated[Aisles | None, NOT_NULL] = None

    _once = field_validator("aisles")(_named_once)


class StoreRead(OutputModel):
    id: int
    household_id: int
    name: str
    aisles: list[str]
