"""Mealie's recipe exports: one recipe's zip, the bulk recipe export, or one recipe's JSON.

A single recipe exported from Mealie is a zip with ``<slug>.json`` and its ``original.webp``;
the bulk export holds ``recipes/<slug>/<slug>.json`` with that recipe's
``images/original.webp`` beside it (an image kept by recipe id, ``images/<id>/original.*``, is
found too). The JSON is Mealie's ``Recipe`` model, written with snake_case names
(``recipe_ingredient``) by the exporter and camelCase names (``recipeIngredient``) by the API;
both are read.

Read: name, description, recipe_servings, recipe_yield (with recipe_yield_quantity),
prep_time, perform_time (or cook_time), total_time, recipe_ingredient (title as the section,
quantity, unit and food names, note, display or original_text as the line), recipe_instructions
(title as the section, text), notes, tags, recipe_category, tools, nutrition, rating, org_url,
and the original image. A line without a food is read from its display, original text or note
alone. Ignored: ids, slugs, dates, settings, assets, comments, extras, step summaries (unless a
step has no text), ingredient references, the resized images, and Mealie's full backup
(``database.json``), which is a dump of its tables rather than an export.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from recipevault.importing.archives import SafeArchive
from recipevault.importing.draft import ImageSource, ImportedRecipe, ImportFailure, ItemUnreadable
from recipevault.importing.formats.common import (
    BatchCollector,
    ImportBatch,
    amount,
    clean_text,
    first,
    http_url,
    image_entry,
    join_text,
    load_json,
    name_of,
    nutrition_fields,
    present,
    quantity_text,
    rating,
    term_names,
)
from recipevault.importing.formats.freetext import parse_minutes, parse_yield, servings_amount
from recipevault.recipes.schemas import RecipeCreate

FORMAT = "mealie"
_MARKERS = ("recipe_ingredient", "recipe_instructions", "org_url", "orgURL", "groupId", "group_id")
_NUTRITION = (
    "calories",
    "carbohydrate_content",
    "cholesterol_content",
    "fat_content",
    "fiber_content",
    "protein_content",
    "saturated_fat_content",
    "sodium_content",
    "sugar_content",
    "trans_fat_content",
    "unsaturated_fat_content",
)
_DETECT_FILES = 5


def looks_like_mealie(data: object) -> bool:
    """A Mealie recipe: its own field names, and none of schema.org's JSON-LD keys."""
    return (
        isinstance(data, Mapping)
        and "@type" not in data
        and "@context" not in data
        and "name" in data
        and any(key in data for key in _MARKERS)
    )


def _json_entries(archive: SafeArchive) -> list[str]:
    return [name for name in archive.names() if name.lower().endswith(".json")]


def is_mealie_archive(archive: SafeArchive) -> bool:
    for name in _json_entries(archive)[:_DETECT_FILES]:
        try:
            if looks_like_mealie(load_json(archive.read(name), name)):
                return True
        except ItemUnreadable:
            continue
    return False


def read_mealie_archive(archive: SafeArchive) -> ImportBatch:
    collector = BatchCollector(FORMAT)
    originals = _originals(archive)
    for entry in _json_entries(archive):
        try:
            data = load_json(archive.read(entry), entry)
        except ItemUnreadable as exc:
            collector.batch.failures.append(ImportFailure(entry, str(exc)))
            continue
        if not looks_like_mealie(data):
            continue
        images = _images(archive, originals, entry, data)
        collector.add(_item_name(data, entry), partial(_recipe, data, images))
    return collector.batch


def read_mealie_json(data: object) -> ImportBatch:
    """One recipe (or a list of them) as Mealie's API returns it; images are left out."""
    collector = BatchCollector(FORMAT)
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items, start=1):
        if looks_like_mealie(item):
            collector.add(_item_name(item, f"recipe {index}"), partial(_recipe, item, []))
    return collector.batch


def _item_name(data: Mapping[str, Any], fallback: str) -> str:
    return clean_text(data.get("name")) or fallback


def _originals(archive: SafeArchive) -> dict[str, list[str]]:
    """The ``original.<ext>`` images of the archive, by the folder they are in."""
    found: dict[str, list[str]] = {}
    for name in archive.names():
        folder, _, base = name.rpartition("/")
        if base.startswith("original."):
            found.setdefault(folder, []).append(name)
    return found


def _images(
    archive: SafeArchive, originals: dict[str, list[str]], entry: str, data: Mapping[str, Any]
) -> list[ImageSource]:
    folder = entry.rpartition("/")[0]
    folders = [f"{folder}/images", folder] if folder else ["images", ""]
    if recipe_id := clean_text(data.get("id")):
        folders += [f"images/{recipe_id}", f"data/recipes/{recipe_id}/images"]
    for candidate in folders:
        for name in originals.get(candidate, []):
            if image := image_entry(archive, name):
                return [image]
    return []


def _ingredients(items: object) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    section: str | None = None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            item = {"note": item}
        if not isinstance(item, Mapping):
            continue
        section = clean_text(item.get("title")) or section
        food, unit = name_of(item.get("food")), name_of(item.get("unit"))
        quantity, note = amount(item.get("quantity")), clean_text(item.get("note"))
        shown = clean_text(item.get("display")) or clean_text(
            first(item, "original_text", "originalText")
        )
        if food is not None:
            line: dict[str, Any] = {"text": shown, "quantity": quantity, "unit": unit}
            line |= {"food": food, "note": note}
        # A line Mealie never parsed keeps all its words in the note; its quantity is then
        # Mealie's default of 1, not something the cook wrote.
        elif text := shown or note or join_text([quantity_text(quantity), unit], " "):
            line = {"text": text}
        else:
            continue
        if section is not None:
            line["section"], section = section, None
        lines.append(line)
    return lines


def _steps(items: object) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    section: str | None = None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            item = {"text": item}
        if not isinstance(item, Mapping):
            continue
        section = clean_text(item.get("title")) or section
        text = clean_text(item.get("text")) or clean_text(item.get("summary"))
        if text is None:
            continue
        step: dict[str, Any] = {"text": text}
        if section is not None:
            step["section"], section = section, None
        steps.append(step)
    return steps


def _notes(items: object) -> str | None:
    if isinstance(items, str):
        return clean_text(items)
    blocks = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            blocks.append(
                join_text([clean_text(item.get("title")), clean_text(item.get("text"))], "\n")
            )
    return join_text(blocks)


def _nutrition(data: object) -> dict[str, str] | None:
    if not isinstance(data, Mapping):
        return None
    values = {}
    for key in _NUTRITION:
        camel = key.split("_")[0] + "".join(part.title() for part in key.split("_")[1:])
        values[key] = first(data, key, camel)
    return nutrition_fields(values)


def _recipe(data: Mapping[str, Any], images: list[ImageSource]) -> ImportedRecipe:
    servings = servings_amount(first(data, "recipe_servings", "recipeServings"))
    text_servings, yield_text = parse_yield(first(data, "recipe_yield", "recipeYield"))
    made = servings_amount(first(data, "recipe_yield_quantity", "recipeYieldQuantity"))
    if made is not None and yield_text and not yield_text[0].isdigit():
        yield_text = f"{made} {yield_text}"
    origin = clean_text(first(data, "org_url", "orgURL"))
    fields = {
        "title": clean_text(data.get("name")),
        "description": clean_text(data.get("description")),
        "servings": servings or text_servings,
        "yield_text": yield_text,
        "prep_minutes": parse_minutes(first(data, "prep_time", "prepTime")),
        "cook_minutes": parse_minutes(
            first(data, "perform_time", "performTime", "cook_time", "cookTime")
        ),
        "total_minutes": parse_minutes(first(data, "total_time", "totalTime")),
        "notes": _notes(data.get("notes")),
        "nutrition": _nutrition(data.get("nutrition")),
        "source_url": http_url(origin),
        "attribution": origin if origin and not http_url(origin) else None,
        "rating": rating(data.get("rating")),
        "tags": term_names(data.get("tags")),
        "categories": term_names(first(data, "recipe_category", "recipeCategory")),
        "tools": term_names(data.get("tools")),
        "ingredients": _ingredients(first(data, "recipe_ingredient", "recipeIngredient")),
        "steps": _steps(first(data, "recipe_instructions", "recipeInstructions")),
    }
    recipe = RecipeCreate.model_validate(present(fields))
    return ImportedRecipe(recipe=recipe, images=images, source_format=FORMAT)
