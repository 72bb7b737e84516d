"""Request and response bodies of the vocabulary endpoints (tags, categories, tools, foods,
units). Responses carry ``kind`` so that one list type can describe every vocabulary and
clients can tell the food- and unit-only fields apart."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from recipevault.http.schemas import Id, InputModel, OutputModel

Kind = Literal["tags", "categories", "tools", "foods", "units"]
TermName = Annotated[str, Field(min_length=1, max_length=100)]


class TermRename(InputModel):
    name: TermName


class TermMerge(InputModel):
    into: Id = Field(description="The term (of the same household) that remains")


class _TermFields(OutputModel):
    id: int
    household_id: int
    name: str
    recipe_count: int = Field(description="Recipes outside the trash that use the term")


class TermRead(_TermFields):
    kind: Literal["tags", "categories", "tools"]


class FoodRead(_TermFields):
    kind: Literal["foods"]
    plural_name: str | None
    aliases: list[str] = Field(
        description="Other spellings that resolve to this food (kept from renames and merges)"
    )


class UnitRead(_TermFields):
    kind: Literal["units"]
    plural_name: str | None
    abbreviation: str | None


AnyTermRead = Annotated[TermRead | FoodRead | UnitRead, Field(discriminator="kind")]
