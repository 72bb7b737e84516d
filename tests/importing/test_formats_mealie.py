from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from recipevault.importing.draft import ImportFailure
from recipevault.importing.formats import ImportBatch, read_import_file
from recipevault.recipes.schemas import IngredientIn, Nutrition, StepIn
from tests.importing.samples import (
    LIMITS,
    image,
    json_bytes,
    mealie_bulk_zip,
    mealie_recipe,
    mealie_single_zip,
    zip_of,
)


def read(data: bytes) -> ImportBatch:
    return read_import_file(data, limits=LIMITS)


def test_a_single_recipe_zip_maps_every_field() -> None:
    batch = read(mealie_single_zip(mealie_recipe(), image("WEBP")))
    assert (batch.format, batch.failures) == ("mealie", [])
    [imported] = batch.recipes
    assert imported.source_format == "mealie"
    assert [source.data for source in imported.images] == [image("WEBP")]
    recipe = imported.recipe
    assert recipe.title == "Lentil soup"
    assert recipe.description == "Warming."
    assert (recipe.servings, recipe.yield_text) == (Decimal(4), "2 litres")
    assert (recipe.prep_minutes, recipe.cook_minutes, recipe.total_minutes) == (15, 65, 80)
    assert recipe.source_url == "https://example.org/lentil-soup"
    assert recipe.attribution is None
    assert recipe.rating == 5
    assert (recipe.tags, recipe.categories, recipe.tools) == (["Vegan"], ["Soup"], ["Stock pot"])
    assert recipe.notes == "Storage\nKeeps 3 days.\n\nFreezes."
    assert recipe.nutrition == Nutrition(calories="240", protein_content="12")
    assert recipe.ingredients == [
        IngredientIn(
            text="⅓ cup red lentils rinsed",
            section="Soup",
            quantity=Decimal("0.3333"),
            unit="cup",
            food="red lentils",
            note="rinsed",
        ),
        IngredientIn(text="salt to taste"),
        IngredientIn(section="Topping", quantity=Decimal(2), unit="tbsp", food="olive oil"),
    ]
    assert recipe.steps == [
        StepIn(text="Soften the onion.", section="Base"),
        StepIn(text="Add lentils and simmer."),
    ]


def test_the_bulk_export_reads_each_recipe_with_its_original_image() -> None:
    second = mealie_recipe(id="other", name="Pea soup", slug="pea-soup")
    data = mealie_bulk_zip([(mealie_recipe(), image("WEBP", "red")), (second, None)])
    batch = read(data)
    assert [item.recipe.title for item in batch.recipes] == ["Lentil soup", "Pea soup"]
    assert [source.data for source in batch.recipes[0].images] == [image("WEBP", "red")]
    assert batch.recipes[1].images == []


def test_images_kept_by_recipe_id() -> None:
    recipe = mealie_recipe()
    data = zip_of(
        {
            "recipes/lentil-soup.json": json_bytes(recipe),
            f"images/{recipe['id']}/original.webp": image("WEBP"),
        }
    )
    [imported] = read(data).recipes
    assert [source.data for source in imported.images] == [image("WEBP")]


def test_an_image_entry_that_is_not_an_image_is_left_out() -> None:
    [imported] = read(mealie_single_zip(mealie_recipe(), b"<html>not found</html>")).recipes
    assert imported.images == []


def camel_case(recipe: dict[str, Any]) -> dict[str, Any]:
    names = {
        "group_id": "groupId",
        "recipe_servings": "recipeServings",
        "recipe_yield": "recipeYield",
        "recipe_yield_quantity": "recipeYieldQuantity",
        "prep_time": "prepTime",
        "perform_time": "performTime",
        "total_time": "totalTime",
        "org_url": "orgURL",
        "recipe_category": "recipeCategory",
        "recipe_ingredient": "recipeIngredient",
        "recipe_instructions": "recipeInstructions",
    }
    return {names.get(key, key): value for key, value in recipe.items()}


def test_the_apis_camel_case_json_reads_the_same() -> None:
    snake = read(mealie_single_zip(mealie_recipe())).recipes[0].recipe
    camel = read(json.dumps(camel_case(mealie_recipe())).encode()).recipes[0].recipe
    assert camel == snake


def test_yields_times_and_origins_in_other_shapes() -> None:
    recipe = mealie_recipe(
        recipe_servings=None,
        recipe_yield="6 servings",
        perform_time=None,
        cook_time="45 min",
        org_url="Grandma's card box",
        rating=0,
        recipe_yield_quantity=None,
    )
    [imported] = read(mealie_single_zip(recipe)).recipes
    assert (imported.recipe.servings, imported.recipe.yield_text) == (Decimal(6), None)
    assert imported.recipe.cook_minutes == 45
    assert (imported.recipe.source_url, imported.recipe.attribution) == (
        None,
        "Grandma's card box",
    )
    assert imported.recipe.rating is None
    counted = mealie_recipe(recipe_yield="cookies", recipe_yield_quantity=24)
    assert read(mealie_single_zip(counted)).recipes[0].recipe.yield_text == "24 cookies"


def test_plain_text_ingredients_and_steps() -> None:
    recipe = mealie_recipe(recipe_ingredient=["1 onion"], recipe_instructions=["Chop."])
    [imported] = read(mealie_single_zip(recipe)).recipes
    assert imported.recipe.ingredients == [IngredientIn(text="1 onion")]
    assert imported.recipe.steps == [StepIn(text="Chop.")]


def test_each_bad_recipe_is_its_own_failure() -> None:
    too_many = [{"note": f"item {index}"} for index in range(201)]
    data = zip_of(
        {
            "recipes/a/a.json": json_bytes(mealie_recipe(name="Big", recipe_ingredient=too_many)),
            "recipes/b/b.json": b"{not json",
            "recipes/c/c.json": json_bytes(mealie_recipe(name="")),
            "recipes/d/d.json": json_bytes(mealie_recipe(name="Fine")),
            "recipes/e/notes.json": json_bytes({"unrelated": True}),
        }
    )
    batch = read(data)
    assert [item.recipe.title for item in batch.recipes] == ["Fine"]
    assert batch.failures == [
        ImportFailure("Big", "ingredients: 201 given, at most 200 allowed"),
        ImportFailure("recipes/b/b.json", "recipes/b/b.json is not valid JSON"),
        ImportFailure("recipes/c/c.json", "title is missing"),
    ]
