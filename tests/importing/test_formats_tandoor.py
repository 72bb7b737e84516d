from __future__ import annotations

from decimal import Decimal

import pytest

from recipevault.importing.draft import ImportFailure, SourceRejected
from recipevault.importing.formats import ImportBatch, read_import_file
from recipevault.recipes.schemas import IngredientIn, Nutrition, StepIn
from tests.importing.samples import (
    LIMITS,
    image,
    json_bytes,
    tandoor_export,
    tandoor_recipe,
    tandoor_recipe_zip,
    zip_of,
)


def read(data: bytes) -> ImportBatch:
    return read_import_file(data, limits=LIMITS)


def test_the_export_maps_every_field() -> None:
    data = tandoor_export([tandoor_recipe_zip(tandoor_recipe(), image("JPEG"))])
    batch = read(data)
    assert (batch.format, batch.failures) == ("tandoor", [])
    [imported] = batch.recipes
    assert imported.source_format == "tandoor"
    assert [source.data for source in imported.images] == [image("JPEG")]
    recipe = imported.recipe
    assert (recipe.title, recipe.description) == ("Focaccia", "Airy and oily.")
    assert recipe.tags == ["bread"]
    # Tandoor has no total time: left out, the saved recipe's is prep + cook and follows them.
    assert (recipe.prep_minutes, recipe.cook_minutes, recipe.total_minutes) == (30, 90, None)
    assert (recipe.servings, recipe.yield_text) == (Decimal(8), "8 pieces")
    assert recipe.source_url == "https://example.org/focaccia"
    assert recipe.nutrition == Nutrition(
        calories="210 kcal", carbohydrate_content="30 g", fat_content="7.5 g"
    )
    assert recipe.ingredients == [
        IngredientIn(section="Dough", quantity=Decimal(500), unit="g", food="flour"),
        IngredientIn(quantity=Decimal(400), unit="ml", food="water", note="lukewarm"),
        IngredientIn(food="salt"),
        IngredientIn(section="Topping", quantity=Decimal(2), unit="sprig", food="rosemary"),
        IngredientIn(text="a pinch of flaky salt"),
    ]
    assert recipe.steps == [
        StepIn(text="Mix and knead.", section="Dough", timer_minutes=10),
        StepIn(text="Bake."),
    ]


def test_several_recipes_each_from_its_own_zip() -> None:
    data = tandoor_export(
        [
            tandoor_recipe_zip(tandoor_recipe(name="One")),
            tandoor_recipe_zip(tandoor_recipe(name="Two"), image("PNG")),
        ]
    )
    batch = read(data)
    assert [item.recipe.title for item in batch.recipes] == ["One", "Two"]
    assert [len(item.images) for item in batch.recipes] == [0, 1]


def test_steps_and_lines_follow_their_order_fields() -> None:
    recipe = tandoor_recipe(
        steps=[
            {"name": "", "instruction": "Second.", "order": 2, "ingredients": []},
            {"name": "", "instruction": "First.", "order": 1, "ingredients": []},
        ]
    )
    [imported] = read(tandoor_recipe_zip(recipe)).recipes
    assert [step.text for step in imported.recipe.steps] == ["First.", "Second."]


def test_one_recipes_zip_and_its_json_alone() -> None:
    from_zip = read(tandoor_recipe_zip(tandoor_recipe(), image("JPEG")))
    from_json = read(json_bytes(tandoor_recipe()))
    assert from_zip.format == from_json.format == "tandoor"
    assert from_zip.recipes[0].recipe == from_json.recipes[0].recipe
    assert from_json.recipes[0].images == []


def test_bad_recipes_are_failures_of_their_own() -> None:
    data = tandoor_export(
        [
            tandoor_recipe_zip(tandoor_recipe(name="Good")),
            zip_of({"notes.txt": b"nothing here"}),
            zip_of({"recipe.json": b"{oops"}),
            tandoor_recipe_zip(tandoor_recipe(name="Long", description="x" * 5001)),
        ]
    )
    batch = read(data)
    assert [item.recipe.title for item in batch.recipes] == ["Good"]
    assert batch.failures == [
        ImportFailure("Recipe_1.zip", "Recipe_1.zip holds no recipe.json"),
        ImportFailure("Recipe_2.zip", "the recipe.json of Recipe_2.zip is not valid JSON"),
        ImportFailure("Long", "description is longer than 5000 characters"),
    ]


def test_a_bomb_in_one_recipes_zip_imports_nothing() -> None:
    bomb = zip_of({"recipe.json": json_bytes(tandoor_recipe()), "image.jpg": bytes(20_000_000)})
    data = tandoor_export([tandoor_recipe_zip(tandoor_recipe()), bomb])
    with pytest.raises(SourceRejected, match="possible zip bomb"):
        read(data)
