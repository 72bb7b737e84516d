"""Nextcloud Cookbook folders and schema.org JSON files: both read through ``schemaorg.py``."""

from __future__ import annotations

from decimal import Decimal

from recipevault.importing.draft import ImageSource, ImportFailure
from recipevault.importing.formats import ImportBatch, read_import_file
from recipevault.importing.schemaorg import recipe_from_schema
from tests.importing.samples import (
    LIMITS,
    image,
    json_bytes,
    nextcloud_export,
    schema_recipe,
    zip_of,
)


def read(data: bytes) -> ImportBatch:
    return read_import_file(data, limits=LIMITS)


def test_a_nextcloud_folder_reads_like_the_same_recipe_on_a_page() -> None:
    batch = read(nextcloud_export([("Shakshuka", schema_recipe(), image("JPEG", "yellow"))]))
    assert (batch.format, batch.failures) == ("nextcloud", [])
    [imported] = batch.recipes
    assert imported.source_format == "nextcloud"
    assert imported.recipe == recipe_from_schema(schema_recipe()).recipe
    assert imported.recipe.title == "Shakshuka"
    assert imported.recipe.servings == Decimal(2)
    assert imported.recipe.ingredients[0].text == "4 eggs"
    assert imported.recipe.source_url == "https://example.org/shakshuka"


def test_the_folders_full_image_replaces_the_remote_address() -> None:
    [with_image, without] = read(
        nextcloud_export(
            [
                ("A", schema_recipe(name="A"), image("JPEG", "yellow")),
                ("B", schema_recipe(name="B"), None),
            ]
        )
    ).recipes
    assert with_image.images == [ImageSource(data=image("JPEG", "yellow"))]
    assert without.images == [ImageSource(url="https://example.org/shakshuka.jpg")]


def test_another_image_in_the_folder_when_there_is_no_full_jpg() -> None:
    data = zip_of(
        {
            "Soup/recipe.json": json_bytes(schema_recipe(image=None)),
            "Soup/thumb.jpg": image("JPEG", "green"),
            "Soup/photo.png": image("PNG", "blue"),
        }
    )
    [imported] = read(data).recipes
    assert imported.images == [ImageSource(data=image("PNG", "blue"))]


def test_an_untyped_recipe_json_from_an_older_cookbook() -> None:
    untyped = schema_recipe()
    del untyped["@type"], untyped["@context"]
    batch = read(zip_of({"Old/recipe.json": json_bytes(untyped)}))
    assert batch.format == "nextcloud"
    assert batch.recipes[0].recipe.title == "Shakshuka"


def test_bad_folders_are_failures_of_their_own() -> None:
    data = zip_of(
        {
            "Good/recipe.json": json_bytes(schema_recipe()),
            "Broken/recipe.json": b"{",
            "Empty/recipe.json": json_bytes(
                {"@type": "Recipe", "recipeIngredient": [], "recipeInstructions": []}
            ),
            "Other/recipe.json": json_bytes({"hello": "world"}),
        }
    )
    batch = read(data)
    assert len(batch.recipes) == 1
    assert batch.failures == [
        ImportFailure("Broken", "Broken/recipe.json is not valid JSON"),
        ImportFailure("Empty", "this recipe has no name, ingredients or steps"),
        ImportFailure("Other", "this is not a Nextcloud Cookbook recipe"),
    ]


def test_a_schema_org_file_with_one_recipe() -> None:
    batch = read(json_bytes(schema_recipe()))
    assert (batch.format, batch.failures) == ("schema.org", [])
    [imported] = batch.recipes
    assert imported.source_format == "schema.org"
    assert imported.recipe == recipe_from_schema(schema_recipe()).recipe
    assert imported.images == [ImageSource(url="https://example.org/shakshuka.jpg")]


def test_a_schema_org_list_and_graph() -> None:
    listed = read(json_bytes([schema_recipe(name="One"), schema_recipe(name="Two")]))
    assert [item.recipe.title for item in listed.recipes] == ["One", "Two"]
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "A page"},
            schema_recipe(name="Three", **{"@type": ["Recipe", "NewsArticle"]}),
            {"@type": "Recipe", "recipeIngredient": [], "recipeInstructions": []},
        ],
    }
    batch = read(json_bytes(graph))
    assert [item.recipe.title for item in batch.recipes] == ["Three"]
    assert batch.failures == [
        ImportFailure("recipe 2", "this recipe has no name, ingredients or steps")
    ]
