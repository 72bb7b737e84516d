from __future__ import annotations

import gzip
import zipfile
from decimal import Decimal

import pytest

from recipevault.importing.draft import ImageSource, ImportFailure, SourceRejected
from recipevault.importing.formats import ImportBatch, read_import_file
from recipevault.recipes.schemas import IngredientIn, StepIn
from tests.importing.samples import (
    LIMITS,
    image,
    paprika_entry,
    paprika_export,
    paprika_recipe,
    zip_of,
)


def read(data: bytes) -> ImportBatch:
    return read_import_file(data, limits=LIMITS)


def test_the_export_maps_every_field() -> None:
    batch = read(paprika_export([paprika_recipe()]))
    assert (batch.format, batch.failures) == ("paprika", [])
    [imported] = batch.recipes
    assert imported.source_format == "paprika"
    assert [source.data for source in imported.images] == [image("JPEG"), image("PNG")]
    recipe = imported.recipe
    assert (recipe.title, recipe.description) == ("Garlic noodles", "Fast.")
    assert (recipe.servings, recipe.yield_text) == (Decimal(2), None)
    assert (recipe.prep_minutes, recipe.cook_minutes, recipe.total_minutes) == (5, 80, None)
    assert recipe.notes == "Add chilli.\n\nNutrition:\nCalories: 450"
    assert (recipe.source_url, recipe.attribution) == (None, "Family notebook")
    assert recipe.categories == ["Dinner", "Quick"]
    assert recipe.rating == 3
    assert recipe.ingredients == [
        IngredientIn(text="200 g noodles"),
        IngredientIn(text="4 cloves garlic", section="For the sauce"),
        IngredientIn(text="2 tbsp butter"),
    ]
    assert recipe.steps == [
        StepIn(text="Boil the noodles."),
        StepIn(text="Melt the butter."),
        StepIn(text="Toss together."),
    ]


def test_one_recipe_file_alone() -> None:
    batch = read(paprika_entry(paprika_recipe()))
    assert batch.format == "paprika"
    assert batch.recipes[0].recipe.title == "Garlic noodles"


def test_the_image_address_is_used_when_there_is_no_photo() -> None:
    recipe = paprika_recipe(photo_data=None, photos=[], source="https://example.org/noodles")
    [imported] = read(paprika_export([recipe])).recipes
    assert imported.images == [ImageSource(url="https://example.org/noodles.jpg")]
    assert (imported.recipe.source_url, imported.recipe.attribution) == (
        "https://example.org/noodles",
        None,
    )


def test_photos_that_are_not_images_are_left_out() -> None:
    recipe = paprika_recipe(photo_data="bm90IGFuIGltYWdl", photos=[{"data": "%%%"}], image_url="")
    [imported] = read(paprika_export([recipe])).recipes
    assert imported.images == []


def test_free_text_yields_are_kept() -> None:
    recipe = paprika_recipe(servings="Makes one 9-inch pie", rating=0)
    [imported] = read(paprika_export([recipe])).recipes
    assert (imported.recipe.servings, imported.recipe.yield_text) == (None, "Makes one 9-inch pie")
    assert imported.recipe.rating is None


def test_bad_recipes_are_failures_of_their_own() -> None:
    data = zip_of(
        {
            "a.paprikarecipe": paprika_entry(paprika_recipe(name="Fine")),
            "b.paprikarecipe": paprika_entry(paprika_recipe(name="   ")),
            "c.paprikarecipe": gzip.compress(b"not json"),
            "d.paprikarecipe": paprika_entry({"title": "something else"}),
            "e.paprikarecipe": paprika_entry(
                paprika_recipe(name="Many", categories=[f"c{index}" for index in range(21)])
            ),
            "readme.txt": b"ignored",
        },
        compression=zipfile.ZIP_STORED,
    )
    batch = read(data)
    assert [item.recipe.title for item in batch.recipes] == ["Fine"]
    assert batch.failures == [
        ImportFailure("b.paprikarecipe", "title is missing"),
        ImportFailure("c.paprikarecipe", "c.paprikarecipe is not valid JSON"),
        ImportFailure("d.paprikarecipe", "this is not a Paprika recipe"),
        ImportFailure("Many", "categories: 21 given, at most 20 allowed"),
    ]


def test_a_compressed_bomb_imports_nothing() -> None:
    data = zip_of(
        {
            "a.paprikarecipe": paprika_entry(paprika_recipe()),
            "b.paprikarecipe": gzip.compress(bytes(30_000_000)),
        },
        compression=zipfile.ZIP_STORED,
    )
    with pytest.raises(SourceRejected, match="possible zip bomb"):
        read(data)
