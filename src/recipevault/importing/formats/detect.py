"""Which export format an uploaded file is, judged by its content alone, and reading it.

The file's name is never consulted: people rename files, and browsers and phones lose or change
extensions. A zip is told apart by what it holds (a RecipeVault manifest, zips with a Tandoor
``recipe.json``, gzip-compressed Paprika entries, Mealie's recipe JSON, Nextcloud's
``recipe.json`` folders); a gzip file is decompressed and read as JSON; anything else must be
JSON of a known shape.
"""

from __future__ import annotations

from collections.abc import Callable

from recipevault.importing.archives import (
    ArchiveLimits,
    SafeArchive,
    check_upload_size,
    gunzip,
    is_gzip,
    is_zip,
    open_archive,
)
from recipevault.importing.draft import ItemUnreadable, SourceRejected
from recipevault.importing.formats.common import ImportBatch, load_json
from recipevault.importing.formats.mealie import (
    is_mealie_archive,
    looks_like_mealie,
    read_mealie_archive,
    read_mealie_json,
)
from recipevault.importing.formats.nextcloud import is_nextcloud_archive, read_nextcloud_archive
from recipevault.importing.formats.paprika import (
    is_paprika_archive,
    looks_like_paprika,
    read_paprika_archive,
    read_paprika_json,
)
from recipevault.importing.formats.recipevault import (
    is_recipevault_archive,
    read_recipevault_archive,
)
from recipevault.importing.formats.schemaorg_file import read_schema_json, schema_recipes
from recipevault.importing.formats.tandoor import (
    is_tandoor_archive,
    looks_like_tandoor,
    read_tandoor_archive,
    read_tandoor_json,
)

KNOWN_FORMATS = (
    "a RecipeVault export, a Mealie recipe export (zip or JSON), a Tandoor export, "
    "a Paprika export (.paprikarecipes or .paprikarecipe), a Nextcloud Cookbook folder as a "
    "zip, or schema.org Recipe JSON"
)

_ARCHIVE_FORMATS: tuple[
    tuple[Callable[[SafeArchive], bool], Callable[[SafeArchive], ImportBatch]], ...
] = (
    (is_recipevault_archive, read_recipevault_archive),
    (is_tandoor_archive, read_tandoor_archive),
    (is_paprika_archive, read_paprika_archive),
    (is_mealie_archive, read_mealie_archive),
    (is_nextcloud_archive, read_nextcloud_archive),
)


def _unknown() -> SourceRejected:
    return SourceRejected(f"this file is not an export format RecipeVault knows: {KNOWN_FORMATS}")


def read_import_file(data: bytes, *, limits: ArchiveLimits) -> ImportBatch:
    """Every recipe of an uploaded export file, and the items that could not be read.

    Raises ``SourceRejected`` when the file as a whole cannot be used: an unknown format, a
    file over the limits, an unsafe or damaged archive. Then nothing of it is imported. This
    reads the whole file in memory and decompresses it: call it from a thread or a job.
    """
    check_upload_size(len(data), limits)
    if is_zip(data):
        with open_archive(data, limits) as archive:
            return _read_archive(archive)
    if is_gzip(data):
        data = gunzip(data, limits)
    try:
        document = load_json(data, "the file")
    except ItemUnreadable:
        raise _unknown() from None
    return _read_document(document, limits)


def _read_archive(archive: SafeArchive) -> ImportBatch:
    for matches, read in _ARCHIVE_FORMATS:
        if matches(archive):
            return read(archive)
    raise _unknown()


def _read_document(document: object, limits: ArchiveLimits) -> ImportBatch:
    if schema_recipes(document):
        return read_schema_json(document)
    items = document if isinstance(document, list) else [document]
    if items and all(looks_like_mealie(item) for item in items):
        return read_mealie_json(document)
    if looks_like_tandoor(document):
        return read_tandoor_json(document)
    if looks_like_paprika(document):
        return read_paprika_json(document, max_image_bytes=limits.max_image_bytes)
    raise _unknown()
