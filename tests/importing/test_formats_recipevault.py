from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from recipevault.importing.draft import ImportFailure, SourceRejected
from recipevault.importing.formats import ImportBatch, read_import_file
from recipevault.importing.formats.recipevault import (
    RECIPEVAULT_EXPORT_SCHEMA_VERSION,
    ExportedRecipe,
)
from recipevault.policy import Visibility
from recipevault.recipes.schemas import RecipeCreate
from tests.importing.samples import LIMITS, image, recipevault_export, recipevault_recipe

IMAGES = {
    "images/sunday-pancakes/1.jpg": image("JPEG"),
    "images/sunday-pancakes/2.png": image("PNG"),
}


def read(data: bytes) -> ImportBatch:
    return read_import_file(data, limits=LIMITS)


def content(recipe: dict[str, Any]) -> dict[str, Any]:
    own = {"slug", "images", "created_at", "updated_at"}
    return {key: value for key, value in recipe.items() if key not in own}


def test_every_field_comes_back_exactly() -> None:
    exported = recipevault_recipe()
    batch = read(recipevault_export([exported], IMAGES))
    assert batch.format == "recipevault"
    assert batch.failures == []
    [imported] = batch.recipes
    assert isinstance(imported, ExportedRecipe)
    assert imported.source_format == "recipevault"
    assert imported.slug == "sunday-pancakes"
    assert imported.created_at == datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    assert imported.updated_at == datetime(
        2025, 2, 11, 19, 4, 10, tzinfo=timezone(timedelta(hours=1))
    )
    assert [source.data for source in imported.images] == [image("JPEG"), image("PNG")]
    assert imported.recipe == RecipeCreate.model_validate(content(exported))
    recipe = imported.recipe
    assert recipe.visibility is Visibility.PUBLIC
    assert recipe.servings == Decimal("4.5")
    assert recipe.nutrition is not None
    assert recipe.nutrition.serving_size == "2"
    egg = recipe.ingredients[1]
    assert (egg.text, egg.quantity, egg.quantity_max, egg.food, egg.size, egg.optional) == (
        "1-2 large eggs",
        Decimal("1"),
        Decimal("2.0625"),
        "egg",
        "large",
        True,
    )
    assert [line.section for line in recipe.ingredients] == ["Batter", "Batter", "To serve"]
    assert recipe.steps[0].timer_minutes == 2
    assert recipe.household_id is None


def test_recipes_come_in_manifest_order_and_unlisted_files_are_ignored() -> None:
    first = recipevault_recipe(slug="b", title="Second file", images=[])
    second = recipevault_recipe(slug="a", title="First file", images=[])
    data = recipevault_export(
        [first, second],
        manifest={"format": "recipevault", "schema_version": 1, "recipes": ["recipes/a.json"]},
    )
    assert [item.recipe.title for item in read(data).recipes] == ["First file"]


def test_dates_without_an_offset_are_utc_and_may_be_left_out() -> None:
    with_naive = recipevault_recipe(images=[], created_at="2024-05-01T08:30:00")
    del with_naive["updated_at"]
    [imported] = read(recipevault_export([with_naive])).recipes
    assert isinstance(imported, ExportedRecipe)
    assert imported.created_at == datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    assert imported.updated_at is None


def test_the_household_is_the_importers_choice() -> None:
    [imported] = read(recipevault_export([recipevault_recipe(images=[], household_id=7)])).recipes
    assert imported.recipe.household_id is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "colour: extra inputs are not permitted"),
        ({"title": "x" * 201}, "title is longer than 200 characters"),
        ({"title": None}, "title: input should be a valid string"),
        ({"created_at": "yesterday"}, "created at is not an ISO 8601 date and time"),
        ({"slug": ""}, "slug must be text of at most 200 characters"),
        ({"images": ["images/missing.jpg"]}, "the image images/missing.jpg is not in the export"),
        ({"images": ["recipes/other.json"]}, "the image recipes/other.json is not in the export"),
        ({"images": ["images/notes.txt"]}, "images/notes.txt is not an image"),
        ({"images": "images/a.jpg"}, "images must be a list of paths in the export"),
        (
            {"ingredients": [{"section": "Batter"}]},
            "ingredient 1: give the line's text, or at least its food",
        ),
    ],
)
def test_a_bad_recipe_is_a_failure_and_the_others_still_come(
    change: dict[str, Any], message: str
) -> None:
    good = recipevault_recipe(slug="good", images=[])
    bad = recipevault_recipe(slug="bad", images=[]) | change
    data = recipevault_export(
        [good, bad], {"images/notes.txt": b"not an image", "recipes/other.json": b"{}"}
    )
    batch = read(data)
    assert [item.recipe.title for item in batch.recipes] == ["Sunday pancakes"]
    item = bad["title"] if isinstance(bad["title"], str) else "recipes/bad.json"
    assert batch.failures == [ImportFailure(item, message)]


def test_an_image_over_the_limit_is_a_failure() -> None:
    big = image("PNG") + hashlib.shake_256(b"noise").digest(LIMITS.max_image_bytes)
    data = recipevault_export(
        [recipevault_recipe()], {**IMAGES, "images/sunday-pancakes/2.png": big}
    )
    [failure] = read(data).failures
    assert (
        failure.message == "the image images/sunday-pancakes/2.png is larger than the image limit"
    )


def test_listed_files_that_are_missing_broken_or_repeated() -> None:
    data = recipevault_export(
        [recipevault_recipe(images=[])],
        manifest={
            "format": "recipevault",
            "schema_version": 1,
            "recipes": [
                "recipes/sunday-pancakes.json",
                "recipes/gone.json",
                "manifest.json",
                "recipes/sunday-pancakes.json",
            ],
        },
    )
    batch = read(data)
    assert len(batch.recipes) == 1
    assert batch.failures == [
        ImportFailure("recipes/gone.json", "the file is not in the export"),
        ImportFailure("manifest.json", "the file is not in the export"),
        ImportFailure("recipes/sunday-pancakes.json", "the manifest lists it twice"),
    ]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            {"format": "recipevault", "schema_version": 2, "recipes": []},
            "this export was made by a newer RecipeVault (format version 2); "
            "this one reads version 1",
        ),
        (
            {"format": "recipevault", "schema_version": "1", "recipes": []},
            "this RecipeVault export's manifest has no valid schema_version",
        ),
        (
            {"format": "recipevault", "schema_version": 1, "recipes": "all"},
            "this RecipeVault export's manifest has no list of recipes",
        ),
    ],
)
def test_a_manifest_that_cannot_be_used_refuses_the_whole_file(
    manifest: dict[str, Any], message: str
) -> None:
    with pytest.raises(SourceRejected) as caught:
        read(recipevault_export([recipevault_recipe(images=[])], manifest=manifest))
    assert str(caught.value) == message


def test_the_schema_version_is_one() -> None:
    assert RECIPEVAULT_EXPORT_SCHEMA_VERSION == 1


def test_an_empty_export_is_an_empty_batch() -> None:
    assert read(recipevault_export([])) == ImportBatch("recipevault", [], [])
