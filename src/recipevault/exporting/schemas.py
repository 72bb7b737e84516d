"""Export requests."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from recipevault.http.schemas import InputModel


class ExportCreate(InputModel):
    format: Literal["zip", "csv"] = Field(
        default="zip",
        description="`zip`: a versioned archive of JSON and images that RecipeVault imports "
        "back exactly; `csv`: one row per recipe, for spreadsheets",
    )
