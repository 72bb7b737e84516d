"""A JSON file of schema.org Recipe objects: one, a list of them, or a JSON-LD ``@graph``.

Each Recipe goes through the same reading as a recipe on a web page (``schemaorg.py``), so a
file and a page with the same data give the same recipe.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from pydantic import ValidationError

from recipevault.importing.draft import (
    ImportedRecipe,
    ItemUnreadable,
    NoRecipeFound,
    SourceRejected,
)
from recipevault.importing.formats.common import (
    BatchCollector,
    ImportBatch,
    clean_text,
    describe_validation_error,
)
from recipevault.importing.schemaorg import recipe_from_schema

FORMAT = "schema.org"
_RECIPE_TYPES = {"recipe", "http://schema.org/recipe", "https://schema.org/recipe"}
_MAX_NESTING = 3


def _types(node: Mapping[str, Any]) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {item.strip().lower() for item in values if isinstance(item, str)}


def is_schema_recipe(node: object) -> bool:
    return isinstance(node, Mapping) and bool(_types(node) & _RECIPE_TYPES)


def schema_recipes(data: object, depth: int = 0) -> list[Mapping[str, Any]]:
    """The Recipe objects of a JSON document: itself, the items of a list, or of ``@graph``."""
    if depth > _MAX_NESTING:
        return []
    if is_schema_recipe(data):
        assert isinstance(data, Mapping)
        return [data]
    if isinstance(data, Mapping) and isinstance(data.get("@graph"), list):
        data = data["@graph"]
    if isinstance(data, list):
        return [node for item in data for node in schema_recipes(item, depth + 1)]
    return []


def schema_recipe(data: Mapping[str, Any], *, source_format: str) -> ImportedRecipe:
    """One Recipe object read as a web page's would be; problems are the item's failure."""
    try:
        return recipe_from_schema(data, source_format=source_format)
    except NoRecipeFound:
        raise ItemUnreadable("this recipe has no name, ingredients or steps") from None
    except SourceRejected as exc:
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            raise ItemUnreadable(describe_validation_error(cause)) from None
        raise ItemUnreadable(str(exc)) from None


def read_schema_json(data: object) -> ImportBatch:
    collector = BatchCollector(FORMAT)
    for index, node in enumerate(schema_recipes(data), start=1):
        item = clean_text(node.get("name")) or f"recipe {index}"
        collector.add(item, partial(schema_recipe, node, source_format=FORMAT))
    return collector.batch
