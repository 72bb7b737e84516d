"""Tandoor's default export: a zip holding one zip per recipe, each with ``recipe.json`` and an
optional ``image.<ext>``. One recipe's zip, or its ``recipe.json`` alone, is read too.

Read: name, description, keywords (as tags), working_time (as prep minutes), waiting_time (as
cook minutes; their sum as the total), servings and servings_text, steps (name as the section
of the step and its ingredients, instruction, time as the step's timer), each ingredient's
food and unit names, amount (none when no_amount), note, is_header lines (as sections),
nutrition (calories, carbohydrates, fats, proteins), source_url and the image. Ignored:
internal, step order fields beyond sorting, show_as_header, plural flags, supermarket
categories, properties, and original_text where the line has a food (the structured fields win).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from recipevault.importing.archives import SafeArchive, is_zip
from recipevault.importing.draft import ImageSource, ImportedRecipe, ImportFailure, ItemUnreadable
from recipevault.importing.formats.common import (
    BatchCollector,
    ImportBatch,
    amount,
    clean_text,
    http_url,
    image_entry,
    load_json,
    name_of,
    nutrition_fields,
    present,
    quantity_text,
    term_names,
)
from recipevault.importing.formats.freetext import parse_minutes, servings_amount
from recipevault.recipes.schemas import RecipeCreate

FORMAT = "tandoor"
RECIPE_FILE = "recipe.json"
MAX_TIMER_MINUTES = 60 * 24 * 7
_DETECT_MEMBERS = 3


def looks_like_tandoor(data: object) -> bool:
    return (
        isinstance(data, Mapping)
        and "name" in data
        and isinstance(data.get("steps"), list)
        and ("working_time" in data or "waiting_time" in data)
    )


def _nested_zips(archive: SafeArchive) -> list[str]:
    return [name for name in archive.names() if is_zip(archive.head(name, 4))]


def is_tandoor_archive(archive: SafeArchive) -> bool:
    if RECIPE_FILE in archive:
        return _holds_tandoor_recipe(archive)
    for name in archive.names()[:_DETECT_MEMBERS]:
        if is_zip(archive.head(name, 4)):
            try:
                inner = archive.open_nested(name)
            except ItemUnreadable:
                continue
            with inner:
                if _holds_tandoor_recipe(inner):
                    return True
    return False


def _holds_tandoor_recipe(archive: SafeArchive) -> bool:
    if RECIPE_FILE not in archive:
        return False
    try:
        return looks_like_tandoor(load_json(archive.read(RECIPE_FILE), RECIPE_FILE))
    except ItemUnreadable:
        return False


def read_tandoor_archive(archive: SafeArchive) -> ImportBatch:
    collector = BatchCollector(FORMAT)
    if RECIPE_FILE in archive:
        _read_recipe_zip(archive, RECIPE_FILE, collector)
        return collector.batch
    for name in _nested_zips(archive):
        try:
            inner = archive.open_nested(name)
        except ItemUnreadable as exc:
            collector.batch.failures.append(ImportFailure(name, str(exc)))
            continue
        with inner:
            _read_recipe_zip(inner, name, collector)
    return collector.batch


def read_tandoor_json(data: object) -> ImportBatch:
    collector = BatchCollector(FORMAT)
    if looks_like_tandoor(data):
        assert isinstance(data, Mapping)
        collector.add(clean_text(data.get("name")) or RECIPE_FILE, partial(_recipe, data, []))
    return collector.batch


def _read_recipe_zip(archive: SafeArchive, item: str, collector: BatchCollector) -> None:
    if RECIPE_FILE not in archive:
        collector.batch.failures.append(ImportFailure(item, f"{item} holds no {RECIPE_FILE}"))
        return
    try:
        data = load_json(archive.read(RECIPE_FILE), f"the {RECIPE_FILE} of {item}")
    except ItemUnreadable as exc:
        collector.batch.failures.append(ImportFailure(item, str(exc)))
        return
    if not looks_like_tandoor(data):
        collector.batch.failures.append(ImportFailure(item, "this is not a Tandoor recipe"))
        return
    images: list[ImageSource] = []
    for name in archive.names():
        if name != RECIPE_FILE and (image := image_entry(archive, name)):
            images.append(image)
            break
    collector.add(clean_text(data.get("name")) or item, partial(_recipe, data, images))


def _ordered(items: object) -> list[Mapping[str, Any]]:
    kept = [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []
    if all(isinstance(item.get("order"), int) for item in kept):
        kept.sort(key=lambda item: int(item["order"]))
    return kept


def _minutes(value: object) -> int | None:
    return parse_minutes(value) if isinstance(value, int | float) else None


def _ingredient(item: Mapping[str, Any]) -> dict[str, Any] | None:
    food, unit, note = (
        name_of(item.get("food")),
        name_of(item.get("unit")),
        clean_text(item.get("note")),
    )
    quantity = None if item.get("no_amount") else amount(item.get("amount"))
    if food is not None:
        return {"quantity": quantity, "unit": unit, "food": food, "note": note}
    text = clean_text(item.get("original_text")) or " ".join(
        part for part in (quantity_text(quantity), unit, note) if part
    )
    return {"text": text} if text else None


def _steps_and_ingredients(
    steps: list[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []
    instructions: list[dict[str, Any]] = []
    step_section: str | None = None
    for step in steps:
        name = clean_text(step.get("name"))
        step_section = name or step_section
        line_section = name
        for item in _ordered(step.get("ingredients")):
            if item.get("is_header"):
                line_section = clean_text(item.get("note")) or name_of(item.get("food"))
                continue
            if (line := _ingredient(item)) is None:
                continue
            if line_section is not None:
                line["section"], line_section = line_section, None
            lines.append(line)
        if text := clean_text(step.get("instruction")):
            instruction: dict[str, Any] = {"text": text}
            timer = _minutes(step.get("time"))
            if timer is not None and timer <= MAX_TIMER_MINUTES:
                instruction["timer_minutes"] = timer
            if step_section is not None:
                instruction["section"], step_section = step_section, None
            instructions.append(instruction)
    return lines, instructions


def _nutrition(data: object) -> dict[str, str] | None:
    if not isinstance(data, Mapping):
        return None
    values = {}
    for key, source, unit in (
        ("calories", "calories", "kcal"),
        ("carbohydrate_content", "carbohydrates", "g"),
        ("fat_content", "fats", "g"),
        ("protein_content", "proteins", "g"),
    ):
        if (number := quantity_text(amount(data.get(source)))) is not None:
            values[key] = f"{number} {unit}"
    return nutrition_fields(values)


def _recipe(data: Mapping[str, Any], images: list[ImageSource]) -> ImportedRecipe:
    lines, steps = _steps_and_ingredients(_ordered(data.get("steps")))
    prep, cook = _minutes(data.get("working_time")), _minutes(data.get("waiting_time"))
    servings = servings_amount(data.get("servings"))
    label = clean_text(data.get("servings_text"))
    fields = {
        "title": clean_text(data.get("name")),
        "description": clean_text(data.get("description")),
        "servings": servings,
        "yield_text": f"{servings} {label}" if servings is not None and label else label,
        "prep_minutes": prep,
        "cook_minutes": cook,
        "nutrition": _nutrition(data.get("nutrition")),
        "source_url": http_url(data.get("source_url")),
        "tags": term_names(data.get("keywords")),
        "ingredients": lines,
        "steps": steps,
    }
    recipe = RecipeCreate.model_validate(present(fields))
    return ImportedRecipe(recipe=recipe, images=images, source_format=FORMAT)
