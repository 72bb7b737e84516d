"""Paprika's ``.paprikarecipes`` export: a zip whose entries are gzip-compressed JSON, one recipe
each. One recipe's ``.paprikarecipe`` (the gzip alone) is read too.

Read: name, description, ingredients and directions (one line each; a short line ending in a
colon starts a section), servings, prep_time / cook_time / total_time as free text, notes,
nutritional_info (kept in the notes: it is free text), source (as the attribution),
source_url, categories, rating, photo_data and photos (base64 images), and image_url when there
is no photo. Ignored: uid, created, hash, photo hashes and names, difficulty, scale,
on_favorites and in_trash.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from recipevault.importing.archives import SafeArchive, is_gzip
from recipevault.importing.draft import ImageSource, ImportedRecipe, ImportFailure, ItemUnreadable
from recipevault.importing.formats.common import (
    BatchCollector,
    ImportBatch,
    clean_text,
    http_url,
    image_data,
    join_text,
    load_json,
    present,
    rating,
    term_names,
)
from recipevault.importing.formats.freetext import parse_minutes, parse_yield
from recipevault.recipes.schemas import RecipeCreate

FORMAT = "paprika"
_DETECT_MEMBERS = 3
_NUMBERING = re.compile(r"^(?:step\s*)?\d{1,3}\s*[.)]\s+", re.IGNORECASE)


def looks_like_paprika(data: object) -> bool:
    return isinstance(data, Mapping) and "name" in data and "directions" in data


def is_paprika_archive(archive: SafeArchive) -> bool:
    for name in archive.names()[:_DETECT_MEMBERS]:
        if is_gzip(archive.head(name, 2)):
            try:
                data = load_json(archive.gunzip(archive.read(name), name), name)
            except ItemUnreadable:
                continue
            return looks_like_paprika(data)
    return False


def read_paprika_archive(archive: SafeArchive) -> ImportBatch:
    collector = BatchCollector(FORMAT)
    for name in archive.names():
        if not is_gzip(archive.head(name, 2)):
            continue
        try:
            data = load_json(archive.gunzip(archive.read(name), name), name)
        except ItemUnreadable as exc:
            collector.batch.failures.append(ImportFailure(name, str(exc)))
            continue
        if not looks_like_paprika(data):
            collector.batch.failures.append(ImportFailure(name, "this is not a Paprika recipe"))
            continue
        _add(collector, data, name, archive.limits.max_image_bytes)
    return collector.batch


def read_paprika_json(data: object, *, max_image_bytes: int) -> ImportBatch:
    """One recipe as a ``.paprikarecipe`` holds it (already decompressed)."""
    collector = BatchCollector(FORMAT)
    if looks_like_paprika(data):
        assert isinstance(data, Mapping)
        _add(collector, data, "recipe", max_image_bytes)
    return collector.batch


def _add(
    collector: BatchCollector, data: Mapping[str, Any], fallback: str, max_image_bytes: int
) -> None:
    item = clean_text(data.get("name")) or fallback
    collector.add(item, partial(_recipe, data, max_image_bytes))


def _decoded(value: object, max_bytes: int) -> ImageSource | None:
    if not isinstance(value, str) or not value or len(value) > (max_bytes * 4) // 3 + 4:
        return None
    try:
        data = base64.b64decode(value)
    except (binascii.Error, ValueError):
        return None
    return image_data(data, max_bytes)


def _images(data: Mapping[str, Any], max_bytes: int) -> list[ImageSource]:
    images = []
    if image := _decoded(data.get("photo_data"), max_bytes):
        images.append(image)
    photos = data.get("photos")
    for photo in photos if isinstance(photos, list) else []:
        if isinstance(photo, Mapping) and (image := _decoded(photo.get("data"), max_bytes)):
            images.append(image)
    if not images and (url := http_url(data.get("image_url"))):
        images.append(ImageSource(url=url))
    return images


def _heading(line: str) -> str | None:
    """A line like "For the sauce:" names the section of the lines after it."""
    if line.endswith(":") and len(line) <= 100 and not any(char.isdigit() for char in line):
        return line.rstrip(":").strip() or None
    return None


def _lines(text: object, key: str, *, numbered: bool = False) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    section: str | None = None
    raw = text.splitlines() if isinstance(text, str) else []
    for line in (" ".join(part.split()) for part in raw):
        if numbered:
            line = _NUMBERING.sub("", line)
        if not line:
            continue
        if (heading := _heading(line)) is not None:
            section = heading
            continue
        entry: dict[str, Any] = {key: line}
        if section is not None:
            entry["section"], section = section, None
        lines.append(entry)
    return lines


def _recipe(data: Mapping[str, Any], max_image_bytes: int) -> ImportedRecipe:
    servings, yield_text = parse_yield(data.get("servings"))
    nutrition = clean_text(data.get("nutritional_info"))
    source = clean_text(data.get("source"))
    fields = {
        "title": clean_text(data.get("name")),
        "description": clean_text(data.get("description")),
        "servings": servings,
        "yield_text": yield_text,
        "prep_minutes": parse_minutes(data.get("prep_time")),
        "cook_minutes": parse_minutes(data.get("cook_time")),
        "total_minutes": parse_minutes(data.get("total_time")),
        "notes": join_text(
            [clean_text(data.get("notes")), f"Nutrition:\n{nutrition}" if nutrition else None]
        ),
        "source_url": http_url(data.get("source_url")) or http_url(source),
        "attribution": source if http_url(source) is None else None,
        "rating": rating(data.get("rating")),
        "categories": term_names(data.get("categories")),
        "ingredients": _lines(data.get("ingredients"), "text"),
        "steps": _lines(data.get("directions"), "text", numbered=True),
    }
    recipe = RecipeCreate.model_validate(present(fields))
    return ImportedRecipe(
        recipe=recipe, images=_images(data, max_image_bytes), source_format=FORMAT
    )
