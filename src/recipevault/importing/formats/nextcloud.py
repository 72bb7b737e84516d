"""Nextcloud Cookbook: its recipe folder downloaded as a zip, one folder per recipe with a
``recipe.json`` (a schema.org Recipe) and the recipe's ``full.jpg``.

``recipe.json`` is read like a schema.org Recipe on a web page (every field ``schemaorg.py``
reads); the folder's ``full.jpg`` (or, failing that, another image in the folder that is not a
thumbnail) replaces the remote image address the JSON names. Ignored: the ``thumb.jpg`` and
``thumb16.jpg`` thumbnails, and Nextcloud's own fields (``id``, ``imageUrl``, ``printImage``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from recipevault.importing.archives import SafeArchive
from recipevault.importing.draft import ImageSource, ImportedRecipe, ImportFailure, ItemUnreadable
from recipevault.importing.formats.common import (
    BatchCollector,
    ImportBatch,
    clean_text,
    image_entry,
    load_json,
)
from recipevault.importing.formats.mealie import looks_like_mealie
from recipevault.importing.formats.schemaorg_file import is_schema_recipe, schema_recipe
from recipevault.importing.formats.tandoor import looks_like_tandoor

FORMAT = "nextcloud"
RECIPE_FILE = "recipe.json"
MAIN_IMAGE = "full.jpg"
_DETECT_FILES = 3


def looks_like_nextcloud(data: object) -> bool:
    """A schema.org Recipe, typed as one or at least shaped like one (older Cookbook versions)."""
    if is_schema_recipe(data):
        return True
    return (
        isinstance(data, Mapping)
        and "name" in data
        and ("recipeIngredient" in data or "recipeInstructions" in data)
        and not looks_like_mealie(data)
        and not looks_like_tandoor(data)
    )


def _recipe_files(archive: SafeArchive) -> list[str]:
    return [name for name in archive.names() if name.rpartition("/")[2] == RECIPE_FILE]


def is_nextcloud_archive(archive: SafeArchive) -> bool:
    for name in _recipe_files(archive)[:_DETECT_FILES]:
        try:
            if looks_like_nextcloud(load_json(archive.read(name), name)):
                return True
        except ItemUnreadable:
            continue
    return False


def read_nextcloud_archive(archive: SafeArchive) -> ImportBatch:
    collector = BatchCollector(FORMAT)
    folders = _by_folder(archive)
    for entry in _recipe_files(archive):
        folder = entry.rpartition("/")[0]
        try:
            data = load_json(archive.read(entry), entry)
        except ItemUnreadable as exc:
            collector.batch.failures.append(ImportFailure(folder or entry, str(exc)))
            continue
        if not looks_like_nextcloud(data):
            collector.batch.failures.append(
                ImportFailure(folder or entry, "this is not a Nextcloud Cookbook recipe")
            )
            continue
        item = clean_text(data.get("name")) or folder or entry
        image = _folder_image(archive, folders.get(folder, []))
        collector.add(item, partial(_recipe, data, image))
    return collector.batch


def _by_folder(archive: SafeArchive) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in archive.names():
        found.setdefault(name.rpartition("/")[0], []).append(name)
    return found


def _folder_image(archive: SafeArchive, names: list[str]) -> ImageSource | None:
    """The folder's full.jpg, or else its first other image that is not a thumbnail."""
    candidates = sorted(names, key=lambda name: (name.rpartition("/")[2] != MAIN_IMAGE, name))
    for name in candidates:
        base = name.rpartition("/")[2]
        if base == RECIPE_FILE or base.lower().startswith("thumb"):
            continue
        if image := image_entry(archive, name):
            return image
    return None


def _recipe(data: Mapping[str, Any], image: ImageSource | None) -> ImportedRecipe:
    imported = schema_recipe(data, source_format=FORMAT)
    return replace(imported, images=[image]) if image is not None else imported
