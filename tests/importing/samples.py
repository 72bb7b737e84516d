"""Small export files of each format, built in the tests (no real person's data)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from base64 import b64encode
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from PIL import Image

from recipevault.importing.archives import ArchiveLimits

LIMITS = ArchiveLimits(
    max_upload_bytes=20 * 1024 * 1024,
    max_entries=200,
    max_uncompressed_bytes=50 * 1024 * 1024,
    max_ratio=200,
    max_depth=3,
    max_image_bytes=1024 * 1024,
)


@cache
def image(kind: str = "JPEG", colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, kind)
    return buffer.getvalue()


def json_bytes(value: object) -> bytes:
    return json.dumps(value).encode()


def zip_of(
    entries: Mapping[str, bytes] | Iterable[tuple[str, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    buffer = io.BytesIO()
    items = entries.items() if isinstance(entries, Mapping) else entries
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return buffer.getvalue()


# --- RecipeVault ------------------------------------------------------------------------------


def recipevault_recipe(**overrides: Any) -> dict[str, Any]:
    recipe: dict[str, Any] = {
        "slug": "sunday-pancakes",
        "created_at": "2024-05-01T08:30:00Z",
        "updated_at": "2025-02-11T19:04:10+01:00",
        "images": ["images/sunday-pancakes/1.jpg", "images/sunday-pancakes/2.png"],
        "title": "Sunday pancakes",
        "visibility": "public",
        "description": "Thin, with crisp edges.",
        "servings": "4.5",
        "yield_text": "12 pancakes",
        "prep_minutes": 10,
        "cook_minutes": 20,
        "total_minutes": 35,
        "notes": "Rest the batter.",
        "nutrition": {"calories": "240 kcal", "fat_content": "9 g", "serving_size": "2"},
        "source_url": "https://example.org/pancakes",
        "attribution": "A neighbour",
        "rating": 4,
        "tags": ["breakfast", "sweet"],
        "categories": ["Brunch"],
        "tools": ["griddle"],
        "ingredients": [
            {
                "text": "250 g flour, sifted",
                "section": "Batter",
                "quantity": "250",
                "quantity_max": None,
                "unit": "g",
                "food": "flour",
                "size": None,
                "note": "sifted",
                "optional": False,
            },
            {
                "text": "1-2 large eggs",
                "section": "Batter",
                "quantity": "1",
                "quantity_max": "2.0625",
                "unit": None,
                "food": "egg",
                "size": "large",
                "note": None,
                "optional": True,
            },
            {"text": "maple syrup", "section": "To serve"},
        ],
        "steps": [
            {"text": "Whisk everything.", "section": "Batter", "timer_minutes": 2},
            {"text": "Fry.", "section": None, "timer_minutes": None},
        ],
    }
    recipe.update(overrides)
    return recipe


def recipevault_export(
    recipes: list[dict[str, Any]],
    images: Mapping[str, bytes] | None = None,
    *,
    manifest: dict[str, Any] | None = None,
) -> bytes:
    paths = [f"recipes/{recipe.get('slug') or index}.json" for index, recipe in enumerate(recipes)]
    entries = {
        "manifest.json": json_bytes(
            manifest
            or {
                "format": "recipevault",
                "schema_version": 1,
                "exported_at": "2025-03-01T12:00:00Z",
                "recipes": paths,
            }
        )
    }
    entries |= {path: json_bytes(recipe) for path, recipe in zip(paths, recipes, strict=True)}
    entries |= dict(images or {})
    return zip_of(entries)


# --- Mealie -----------------------------------------------------------------------------------


def mealie_recipe(**overrides: Any) -> dict[str, Any]:
    recipe: dict[str, Any] = {
        "id": "5b4c8a3e-1111-4222-8333-444455556666",
        "group_id": "0d5c1a3e-1111-4222-8333-444455556666",
        "name": "Lentil soup",
        "slug": "lentil-soup",
        "description": "Warming.",
        "recipe_servings": 4,
        "recipe_yield_quantity": 0,
        "recipe_yield": "2 litres",
        "prep_time": "15 minutes",
        "perform_time": "1 Hour 5 Minutes",
        "total_time": "PT1H20M",
        "org_url": "https://example.org/lentil-soup",
        "rating": 5,
        "tags": [{"id": "t1", "name": "Vegan", "slug": "vegan"}],
        "recipe_category": [{"id": "c1", "name": "Soup", "slug": "soup"}],
        "tools": [{"id": "x1", "name": "Stock pot", "slug": "stock-pot", "on_hand": False}],
        "recipe_ingredient": [
            {
                "title": "Soup",
                "quantity": 0.333333,
                "unit": {"name": "cup", "abbreviation": "c"},
                "food": {"name": "red lentils"},
                "note": "rinsed",
                "display": "⅓ cup red lentils rinsed",
                "original_text": "1/3 cup red lentils, rinsed",
            },
            {"title": "", "quantity": 1, "unit": None, "food": None, "note": "salt to taste"},
            {"title": "Topping", "quantity": 0, "food": None, "note": "", "display": ""},
            {"quantity": 2, "unit": {"name": "tbsp"}, "food": {"name": "olive oil"}, "note": ""},
        ],
        "recipe_instructions": [
            {"id": "s1", "title": "Base", "text": "Soften the onion."},
            {"id": "s2", "title": "", "text": "Add lentils and simmer."},
            {"id": "s3", "title": "", "text": "", "summary": ""},
        ],
        "notes": [{"title": "Storage", "text": "Keeps 3 days."}, {"title": "", "text": "Freezes."}],
        "nutrition": {"calories": "240", "protein_content": 12, "fat_content": None},
        "settings": {"disable_amount": False},
        "assets": [],
        "extras": {},
    }
    recipe.update(overrides)
    return recipe


def mealie_single_zip(recipe: dict[str, Any], picture: bytes | None = None) -> bytes:
    entries = {f"{recipe['slug']}.json": json_bytes(recipe)}
    if picture is not None:
        entries["original.webp"] = picture
    return zip_of(entries)


def mealie_bulk_zip(recipes: list[tuple[dict[str, Any], bytes | None]]) -> bytes:
    entries = {}
    for recipe, picture in recipes:
        folder = f"recipes/{recipe['slug']}"
        entries[f"{folder}/{recipe['slug']}.json"] = json_bytes(recipe)
        if picture is not None:
            entries[f"{folder}/images/original.webp"] = picture
            entries[f"{folder}/images/min-original.webp"] = image("WEBP", "blue")
    return zip_of(entries)


# --- Tandoor ----------------------------------------------------------------------------------


def tandoor_recipe(**overrides: Any) -> dict[str, Any]:
    def line(food: str | None, unit: str | None, amount: Any, **more: Any) -> dict[str, Any]:
        return {
            "food": {"name": food, "supermarket_category": None} if food else None,
            "unit": {"name": unit, "description": None} if unit else None,
            "amount": amount,
            "note": "",
            "order": 0,
            "is_header": False,
            "no_amount": False,
            "original_text": None,
        } | more

    recipe: dict[str, Any] = {
        "name": "Focaccia",
        "description": "Airy and oily.",
        "keywords": [{"name": "bread", "description": ""}, {"name": "Bread"}],
        "working_time": 30,
        "waiting_time": 90,
        "servings": 8,
        "servings_text": "pieces",
        "internal": True,
        "source_url": "https://example.org/focaccia",
        "nutrition": {"calories": "210.000", "carbohydrates": 30, "fats": "7.5", "proteins": 0},
        "steps": [
            {
                "name": "Dough",
                "instruction": "Mix and knead.",
                "time": 10,
                "order": 0,
                "show_as_header": True,
                "ingredients": [
                    line("flour", "g", "500.000", order=0),
                    line("water", "ml", 400, order=1, note="lukewarm"),
                    line("salt", None, 0, order=2, no_amount=True),
                    line(None, None, 0, order=3, is_header=True, note="Topping"),
                    line("rosemary", "sprig", 2, order=4),
                    line(None, None, 0, order=5, note="a pinch of flaky salt"),
                ],
            },
            {"name": "", "instruction": "Bake.", "time": 0, "order": 1, "ingredients": []},
        ],
    }
    recipe.update(overrides)
    return recipe


def tandoor_recipe_zip(recipe: dict[str, Any], picture: bytes | None = None) -> bytes:
    entries = {"recipe.json": json_bytes(recipe)}
    if picture is not None:
        entries["image.jpg"] = picture
    return zip_of(entries)


def tandoor_export(recipe_zips: list[bytes]) -> bytes:
    return zip_of({f"Recipe_{index}.zip": data for index, data in enumerate(recipe_zips)})


# --- Paprika ----------------------------------------------------------------------------------


def paprika_recipe(**overrides: Any) -> dict[str, Any]:
    recipe: dict[str, Any] = {
        "uid": "8E4B6D2C-0000-4000-8000-000000000001",
        "name": "Garlic noodles",
        "description": "Fast.",
        "ingredients": "200 g noodles\n\nFor the sauce:\n4 cloves garlic\n2 tbsp butter",
        "directions": "1. Boil the noodles.\n\n2. Melt the butter.\nToss together.",
        "servings": "2 servings",
        "prep_time": "5 mins",
        "cook_time": "1 hr 20 min",
        "total_time": "",
        "notes": "Add chilli.",
        "nutritional_info": "Calories: 450",
        "source": "Family notebook",
        "source_url": "",
        "categories": ["Dinner", "Quick"],
        "rating": 3,
        "difficulty": "Easy",
        "photo_data": b64encode(image("JPEG")).decode(),
        "photos": [{"filename": "x.png", "data": b64encode(image("PNG")).decode()}],
        "image_url": "https://example.org/noodles.jpg",
        "created": "2023-01-01 10:00:00",
        "hash": "abc",
    }
    recipe.update(overrides)
    return recipe


def paprika_entry(recipe: dict[str, Any]) -> bytes:
    return gzip.compress(json_bytes(recipe))


def paprika_export(recipes: list[dict[str, Any]]) -> bytes:
    return zip_of(
        {
            f"{recipe.get('name', index)}.paprikarecipe": paprika_entry(recipe)
            for index, recipe in enumerate(recipes)
        },
        compression=zipfile.ZIP_STORED,
    )


# --- Nextcloud Cookbook and schema.org ------------------------------------------------------------


def schema_recipe(**overrides: Any) -> dict[str, Any]:
    recipe: dict[str, Any] = {
        "@context": "http://schema.org",
        "@type": "Recipe",
        "name": "Shakshuka",
        "description": "Eggs in spiced tomato.",
        "recipeYield": 2,
        "prepTime": "PT10M",
        "cookTime": "PT20M",
        "totalTime": "PT30M",
        "recipeCategory": "Breakfast",
        "keywords": "eggs,tomato",
        "tool": ["Skillet"],
        "recipeIngredient": ["4 eggs", "1 can tomatoes"],
        "recipeInstructions": [{"@type": "HowToStep", "text": "Simmer the sauce."}, "Add eggs."],
        "url": "https://example.org/shakshuka",
        "image": "https://example.org/shakshuka.jpg",
    }
    recipe.update(overrides)
    return recipe


def nextcloud_export(folders: list[tuple[str, dict[str, Any], bytes | None]]) -> bytes:
    entries = {}
    for folder, recipe, picture in folders:
        entries[f"Recipes/{folder}/recipe.json"] = json_bytes(recipe)
        if picture is not None:
            entries[f"Recipes/{folder}/thumb.jpg"] = image("JPEG", "green")
            entries[f"Recipes/{folder}/full.jpg"] = picture
    return zip_of(entries)
