"""RecipeVault's own export, read back so that every field of every recipe comes back exactly.

The export is a zip archive (schema version 1)::

    manifest.json
    recipes/<slug>.json        one file per recipe
    images/<slug>/<n>.<ext>    the recipe's images, in the order the recipe lists them

``manifest.json`` is a JSON object::

    {
      "format": "recipevault",            required, exactly this
      "schema_version": 1,                required; a higher version is refused
      "exported_at": "2025-03-01T12:00:00Z",
      "recipes": ["recipes/pancakes.json", ...]
    }

``recipes`` lists every recipe file (each a path under ``recipes/``) in the order to import
them; files it does not list are ignored, and so are other entries (a README, later additions).
``exported_at`` is informative only.

Each recipe file is one JSON object holding exactly the fields of ``RecipeCreate`` except
``household_id`` (which household receives the recipes is the importer's choice, so it is
ignored when present), plus four fields of its own. An unknown key makes that recipe fail::

    {
      "slug": "pancakes",                          the slug it had
      "created_at": "2024-05-01T08:30:00Z",        ISO 8601; without an offset it is UTC
      "updated_at": "2025-02-11T19:04:10+01:00",
      "images": ["images/pancakes/1.jpg"],         entries under images/, main image first
      "title": "Pancakes",
      "visibility": "household",                   "private", "household" or "public"
      "description": null, "servings": "4", "yield_text": "12 pancakes",
      "prep_minutes": 10, "cook_minutes": 20, "total_minutes": 30,
      "notes": null, "source_url": null, "attribution": null, "rating": 4,
      "nutrition": null or {"calories": "240 kcal", "fat_content": "9 g", ...},
      "tags": ["breakfast"], "categories": [], "tools": ["griddle"],
      "ingredients": [
        {"text": "250 g flour, sifted", "section": "Batter", "quantity": "250",
         "quantity_max": null, "unit": "g", "food": "flour", "size": null, "note": "sifted",
         "optional": false}
      ],
      "steps": [{"text": "Whisk.", "section": "Batter", "timer_minutes": 2}]
    }

Decimals (``servings``, ``quantity``, ``quantity_max``) are written as JSON strings so that no
digit changes on the way; numbers are accepted too. An ingredient keeps its ``text`` together
with its structured fields exactly as stored (the importer does not parse a line that has any
structured field), and ``section`` appears on every line and step exactly as stored. Every
field has the bounds ``RecipeCreate`` gives it. An image that is missing from the zip, is not
an image, or is larger than the image limit makes that recipe fail rather than lose it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from recipevault.importing.archives import SafeArchive
from recipevault.importing.draft import (
    ImageSource,
    ImportedRecipe,
    ImportFailure,
    ItemUnreadable,
    SourceRejected,
)
from recipevault.importing.formats.common import (
    BatchCollector,
    ImportBatch,
    clean_text,
    load_json,
    looks_like_image,
)
from recipevault.recipes.schemas import RecipeCreate

FORMAT = "recipevault"
RECIPEVAULT_EXPORT_SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
RECIPES_FOLDER = "recipes/"
IMAGES_FOLDER = "images/"
_OWN_FIELDS = ("slug", "created_at", "updated_at", "images")


@dataclass(slots=True)
class ExportedRecipe(ImportedRecipe):
    """A recipe from a RecipeVault export, with what it had besides its content."""

    slug: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


def _manifest(archive: SafeArchive) -> object:
    if MANIFEST not in archive:
        return None
    try:
        return load_json(archive.read(MANIFEST), MANIFEST)
    except ItemUnreadable:
        return None


def is_recipevault_archive(archive: SafeArchive) -> bool:
    manifest = _manifest(archive)
    return isinstance(manifest, Mapping) and manifest.get("format") == FORMAT


def read_recipevault_archive(archive: SafeArchive) -> ImportBatch:
    manifest = _manifest(archive)
    if not isinstance(manifest, Mapping) or manifest.get("format") != FORMAT:
        raise SourceRejected("this RecipeVault export has no readable manifest.json")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SourceRejected("this RecipeVault export's manifest has no valid schema_version")
    if version > RECIPEVAULT_EXPORT_SCHEMA_VERSION:
        raise SourceRejected(
            f"this export was made by a newer RecipeVault (format version {version}); "
            f"this one reads version {RECIPEVAULT_EXPORT_SCHEMA_VERSION}"
        )
    paths = manifest.get("recipes")
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise SourceRejected("this RecipeVault export's manifest has no list of recipes")
    collector = BatchCollector(FORMAT)
    seen: set[str] = set()
    for path in paths:
        if path in seen:
            collector.batch.failures.append(ImportFailure(path, "the manifest lists it twice"))
            continue
        seen.add(path)
        if not path.startswith(RECIPES_FOLDER) or path not in archive:
            collector.batch.failures.append(ImportFailure(path, "the file is not in the export"))
            continue
        try:
            data = load_json(archive.read(path), path)
        except ItemUnreadable as exc:
            collector.batch.failures.append(ImportFailure(path, str(exc)))
            continue
        item = (clean_text(data.get("title")) if isinstance(data, Mapping) else None) or path
        collector.add(item, partial(_recipe, archive, data))
    return collector.batch


def _timestamp(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ItemUnreadable(f"{key.replace('_', ' ')} is not an ISO 8601 date and time")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _images(archive: SafeArchive, paths: object) -> list[ImageSource]:
    if paths is None:
        return []
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise ItemUnreadable("images must be a list of paths in the export")
    images = []
    for path in paths:
        if not path.startswith(IMAGES_FOLDER) or path not in archive:
            raise ItemUnreadable(f"the image {path} is not in the export")
        if archive.size(path) > archive.limits.max_image_bytes:
            raise ItemUnreadable(f"the image {path} is larger than the image limit")
        data = archive.read(path)
        if not looks_like_image(data):
            raise ItemUnreadable(f"{path} is not an image")
        images.append(ImageSource(data=data))
    return images


def _recipe(archive: SafeArchive, data: object) -> ExportedRecipe:
    if not isinstance(data, Mapping):
        raise ItemUnreadable("the recipe file does not hold a JSON object")
    slug = data.get("slug")
    if slug is not None and not (isinstance(slug, str) and 0 < len(slug) <= 200):
        raise ItemUnreadable("slug must be text of at most 200 characters")
    content = {key: value for key, value in data.items() if key not in _OWN_FIELDS}
    content.pop("household_id", None)
    recipe = RecipeCreate.model_validate(content)
    return ExportedRecipe(
        recipe=recipe,
        images=_images(archive, data.get("images")),
        source_format=FORMAT,
        slug=slug,
        created_at=_timestamp(data, "created_at"),
        updated_at=_timestamp(data, "updated_at"),
    )
