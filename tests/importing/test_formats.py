"""Telling formats apart by content, and refusing what cannot be used as a whole.

``read_import_file`` takes only the file's bytes: an uploaded file's name cannot steer it.
Names inside the archives below are chosen to mislead where that is possible.
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Callable
from dataclasses import replace

import pytest

from recipevault.importing.draft import SourceRejected
from recipevault.importing.formats import KNOWN_FORMATS, ImportBatch, read_import_file
from recipevault.importing.formats.common import looks_like_image
from tests.importing.samples import (
    LIMITS,
    image,
    json_bytes,
    mealie_bulk_zip,
    mealie_recipe,
    mealie_single_zip,
    nextcloud_export,
    paprika_entry,
    paprika_export,
    paprika_recipe,
    recipevault_export,
    recipevault_recipe,
    schema_recipe,
    tandoor_recipe,
    tandoor_recipe_zip,
    zip_of,
)

UNKNOWN = f"this file is not an export format RecipeVault knows: {KNOWN_FORMATS}"


def read(data: bytes) -> ImportBatch:
    return read_import_file(data, limits=LIMITS)


SAMPLES: dict[str, tuple[Callable[[], bytes], str]] = {
    "recipevault export": (
        lambda: recipevault_export([recipevault_recipe(images=[])]),
        "recipevault",
    ),
    "mealie recipe zip": (lambda: mealie_single_zip(mealie_recipe(), image("WEBP")), "mealie"),
    "mealie bulk zip": (lambda: mealie_bulk_zip([(mealie_recipe(), None)]), "mealie"),
    "mealie json": (lambda: json_bytes(mealie_recipe()), "mealie"),
    "mealie json list": (lambda: json_bytes([mealie_recipe(), mealie_recipe()]), "mealie"),
    "tandoor export": (
        lambda: zip_of({"x.zip": tandoor_recipe_zip(tandoor_recipe())}),
        "tandoor",
    ),
    "tandoor recipe zip": (lambda: tandoor_recipe_zip(tandoor_recipe()), "tandoor"),
    "tandoor json": (lambda: json_bytes(tandoor_recipe()), "tandoor"),
    "paprika export": (lambda: paprika_export([paprika_recipe()]), "paprika"),
    "paprika recipe": (lambda: paprika_entry(paprika_recipe()), "paprika"),
    "paprika json": (lambda: json_bytes(paprika_recipe()), "paprika"),
    "nextcloud zip": (lambda: nextcloud_export([("A", schema_recipe(), None)]), "nextcloud"),
    "schema.org json": (lambda: json_bytes(schema_recipe()), "schema.org"),
    "schema.org with a BOM": (lambda: b"\xef\xbb\xbf" + json_bytes(schema_recipe()), "schema.org"),
    "schema.org gzipped": (lambda: gzip.compress(json_bytes(schema_recipe())), "schema.org"),
}


@pytest.mark.parametrize("sample", SAMPLES)
def test_each_format_is_recognised_by_content(sample: str) -> None:
    build, expected = SAMPLES[sample]
    batch = read(build())
    assert batch.format == expected
    assert len(batch.recipes) >= 1
    assert batch.failures == []
    assert {item.source_format for item in batch.recipes} == {expected}


MISLEADING: dict[str, tuple[bytes, str]] = {
    "tandoor zips named as photos": (
        zip_of({"photo.jpg": tandoor_recipe_zip(tandoor_recipe()), "recipe.txt": b"hello"}),
        "tandoor",
    ),
    "paprika entries named recipe.json": (
        zip_of({"a/recipe.json": paprika_entry(paprika_recipe())}, compression=zipfile.ZIP_STORED),
        "paprika",
    ),
    "mealie json named manifest.json": (
        zip_of({"manifest.json": json_bytes(mealie_recipe())}),
        "mealie",
    ),
    "nextcloud recipe beside a zip that is not one": (
        zip_of(
            {
                "A/recipe.json": json_bytes(schema_recipe()),
                "A/full.jpg": zip_of({"x": b"y"}),
            }
        ),
        "nextcloud",
    ),
}


@pytest.mark.parametrize("sample", MISLEADING)
def test_names_inside_archives_do_not_decide(sample: str) -> None:
    data, expected = MISLEADING[sample]
    batch = read(data)
    assert batch.format == expected
    assert len(batch.recipes) == 1
    sources = [source for item in batch.recipes for source in item.images]
    assert all(source.data is None or looks_like_image(source.data) for source in sources)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01 random bytes",
        b"Lentil soup: 1 cup lentils",
        json_bytes({"hello": "world"}),
        json_bytes([]),
        json_bytes([mealie_recipe(), {"hello": "world"}]),
        gzip.compress(b"not json"),
        zip_of({}),
        zip_of({"notes.txt": b"hello", "data.json": json_bytes({"a": 1})}),
        zip_of({"manifest.json": json_bytes({"format": "other"})}),
    ],
    ids=[
        "empty",
        "bytes",
        "text",
        "json object",
        "json list",
        "mixed list",
        "gzip text",
        "empty zip",
        "zip of notes",
        "foreign manifest",
    ],
)
def test_unknown_files_are_refused_with_the_list_of_formats(data: bytes) -> None:
    with pytest.raises(SourceRejected) as caught:
        read(data)
    assert str(caught.value) == UNKNOWN


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read() -> None:
    data = json_bytes(schema_recipe(description="x" * 5000))
    with pytest.raises(SourceRejected, match=r"^the file is"):
        read_import_file(data, limits=replace(LIMITS, max_upload_bytes=4096))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            zip_of(
                {
                    "recipes/a/a.json": json_bytes(mealie_recipe()),
                    "../../evil.json": json_bytes(mealie_recipe()),
                }
            ),
            "the archive contains an unsafe path: ../../evil.json",
        ),
        (
            zip_of(
                {
                    "recipes/a/a.json": json_bytes(mealie_recipe()),
                    "recipes/a/images/original.webp": bytes(30_000_000),
                }
            ),
            "an entry expands more than 200 times (possible zip bomb): "
            "recipes/a/images/original.webp",
        ),
        (
            zip_of({f"{index}.paprikarecipe": b"x" for index in range(LIMITS.max_entries + 1)}),
            f"the archive has {LIMITS.max_entries + 1} entries; the limit is {LIMITS.max_entries}",
        ),
    ],
    ids=["unsafe path", "bomb", "too many entries"],
)
def test_a_bad_archive_imports_nothing(data: bytes, message: str) -> None:
    with pytest.raises(SourceRejected) as caught:
        read(data)
    assert str(caught.value) == message


def test_nested_archives_count_toward_the_depth_limit() -> None:
    data = zip_of({"x.zip": tandoor_recipe_zip(tandoor_recipe())})
    with pytest.raises(SourceRejected) as caught:
        read_import_file(data, limits=replace(LIMITS, max_depth=1))
    assert str(caught.value) == "the archive nests archives more than 1 level deep"
