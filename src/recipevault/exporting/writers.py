"""Writing export files; pure and blocking (jobs run these in a thread).

The zip is the format ``importing/formats/recipevault.py`` documents and reads back.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from recipevault.importing.formats.recipevault import RECIPEVAULT_EXPORT_SCHEMA_VERSION
from recipevault.recipes.schemas import RecipeCreate


@dataclass(frozen=True, slots=True)
class ExportItem:
    slug: str
    recipe: RecipeCreate
    created_at: datetime
    updated_at: datetime
    # (file extension, bytes), main image first.
    images: list[tuple[str, bytes]] = field(default_factory=list)


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def recipe_document(item: ExportItem, image_paths: list[str]) -> dict[str, Any]:
    data = item.recipe.model_dump(mode="json", exclude={"household_id"})
    return {
        "slug": item.slug,
        "created_at": _timestamp(item.created_at),
        "updated_at": _timestamp(item.updated_at),
        "images": image_paths,
        **data,
    }


def write_zip(destination: Path, items: Iterable[ExportItem], *, exported_at: datetime) -> int:
    """Write the export zip; returns the number of recipes in it."""
    paths: list[str] = []
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            image_paths = []
            for number, (extension, data) in enumerate(item.images, start=1):
                name = f"images/{item.slug}/{number}.{extension}"
                # Images are compressed already.
                archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
                image_paths.append(name)
            path = f"recipes/{item.slug}.json"
            document = recipe_document(item, image_paths)
            archive.writestr(path, orjson.dumps(document, option=orjson.OPT_INDENT_2))
            paths.append(path)
        manifest = {
            "format": "recipevault",
            "schema_version": RECIPEVAULT_EXPORT_SCHEMA_VERSION,
            "exported_at": _timestamp(exported_at),
            "recipes": paths,
        }
        archive.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return len(paths)


CSV_COLUMNS = (
    "title",
    "slug",
    "description",
    "servings",
    "yield_text",
    "prep_minutes",
    "cook_minutes",
    "total_minutes",
    "ingredients",
    "steps",
    "notes",
    "tags",
    "categories",
    "tools",
    "rating",
    "visibility",
    "source_url",
    "attribution",
    "created_at",
    "updated_at",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_row(item: ExportItem) -> list[str]:
    recipe = item.recipe
    values: dict[str, Any] = {
        **recipe.model_dump(mode="json"),
        "slug": item.slug,
        "ingredients": "\n".join(line.text or "" for line in recipe.ingredients),
        "steps": "\n".join(step.text for step in recipe.steps),
        "tags": "; ".join(recipe.tags),
        "categories": "; ".join(recipe.categories),
        "tools": "; ".join(recipe.tools),
        "created_at": _timestamp(item.created_at),
        "updated_at": _timestamp(item.updated_at),
    }
    return [_cell(values.get(column)) for column in CSV_COLUMNS]


def write_csv(destination: Path, items: Iterable[ExportItem]) -> int:
    """One row per recipe; multi-line cells hold the ingredient lines and steps."""
    count = 0
    with destination.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for item in items:
            writer.writerow(csv_row(item))
            count += 1
    return count
