"""A stored recipe document scaled and converted: amounts, package sizes, densities and the
rounding a cook reads, always computed from the stored amounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from recipevault.recipes.documents import ingredient_display
from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.scaled_document import package_of, present
from recipevault.recipes.units import System

EN_DASH = "\u2013"


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _stored(text: str) -> dict[str, Any]:
    """A line as a recipe document stores it, parsed from ``text``."""
    parsed = parse_ingredient(text)
    size, package = package_of({"size": parsed.size}, None)
    return {
        "text": text,
        "section": None,
        "quantity": _number(parsed.quantity),
        "quantity_max": _number(parsed.quantity_max),
        "unit": parsed.unit,
        "food": parsed.food,
        "size": parsed.size,
        "package": package,
        "note": parsed.note,
        "optional": parsed.optional,
        "display": ingredient_display(parsed.quantity, parsed.quantity_max, parsed.unit, size),
    }


def _document(*lines: str, servings: int | None = 4) -> dict[str, Any]:
    return {"servings": servings, "ingredients": [_stored(line) for line in lines]}


def _show(line: str, factor: str, system: System | None) -> str:
    [shown] = present(_document(line), factor=Decimal(factor), system=system)["ingredients"]
    return str(shown["display"])


@pytest.mark.parametrize(
    ("line", "factor", "system", "expected"),
    [
        ("2 eggs", "1.5", "us", "3"),
        ("1 egg", "0.5", "us", "½"),
        ("3 eggs", "0.3333", "metric", "1"),
        ("1 cup flour", "1", "metric", "125 g"),
        ("500 g butter", "1", "us", "2¼ cups"),
        ("500 g potatoes", "1", "us", "1.1 lb"),
        ("1 tsp salt", "3", "us", "1 tbsp"),
        ("1 tbsp sugar", "4", "us", "¼ cup"),
        ("1 tsp vanilla", "0.0625", "us", "⅛ tsp"),
        ("1 tsp vanilla", "0.05", "us", "pinch"),
        ("⅓ cup sugar", "3", "us", "1 cup"),
        ("¾ cup sugar", "0.5", "us", "⅜ cup"),
        ("¼ cup sugar", "0.5", "us", "2 tbsp"),
        ("2 tbsp oil", "0.5", "metric", "1 tbsp"),
        ("1-2 tbsp olive oil", "1.5", "us", f"1½{EN_DASH}3 tbsp"),
        ("1-2 cups flour", "1", "metric", f"125{EN_DASH}250 g"),
        ("750 g flour", "2", "metric", "1.5 kg"),
        # Scaled in its own units, an amount reads in the unit a cook would pick.
        ("750 g flour", "2", None, "1.5 kg"),
        ("8 oz cheese", "2", None, "1 lb"),
        ("731 g flour", "1", "metric", "730 g"),
        ("50.3 g sugar", "1", "metric", "50 g"),
        # Fats are weighed in metric, by the cup and by the spoon; liquids stay volumes.
        ("1/2 cup butter", "1", "metric", "115 g"),
        ("1 cup unsalted butter, softened", "1", "metric", "225 g"),
        ("2 tbsp butter", "1", "metric", "28 g"),
        ("1/2 cup vegetable shortening", "1", "metric", "105 g"),
        ("1/4 cup coconut oil", "1", "metric", "54 g"),
        ("1/4 cup olive oil", "1", "metric", "60 ml"),
        ("1 cup milk", "1", "metric", "240 ml"),
        ("2 tbsp sugar", "1", "metric", "2 tbsp"),
        ("115 g butter", "1", "us", "½ cup"),
        # Small US volumes are spoons in metric too.
        ("1/2 fl oz vanilla", "1", "metric", "1 tbsp"),
        ("1/4 fl oz vanilla", "1", "metric", "1½ tsp"),
        ("1 fl oz rum", "1", "metric", "30 ml"),
    ],
)
def test_scale_convert_and_show(
    line: str, factor: str, system: System | None, expected: str
) -> None:
    assert _show(line, factor, system) == expected


@pytest.mark.parametrize(
    ("line", "factor", "system", "expected"),
    [
        ("1 (14 oz) can tomatoes", "2", None, "2 (14 oz) cans"),
        ("1 (14 oz) can tomatoes", "2", "us", "2 (14 oz) cans"),
        ("1 (14 oz) can tomatoes", "2", "metric", "2 (400 g) cans"),
        ("1 (14 oz) can tomatoes", "1", "metric", "1 (400 g) can"),
        ("2 (15-ounce) cans black beans, drained", "1", "metric", "2 (425 g) cans"),
        ("2 (15-ounce) cans black beans, drained", "0.5", None, "1 (15-ounce) can"),
        ("1 14-oz can coconut milk", "3", "metric", "3 (400 g) cans"),
        ("1 (28 oz) can crushed tomatoes", "1", "metric", "1 (800 g) can"),
        ("one 400 g tin chickpeas", "2", "us", "2 (14 oz) cans"),
        ("one 400 g tin chickpeas", "2", "metric", "2 (400 g) cans"),
        ("1 (8 oz) package cream cheese", "2", "metric", "2 (225 g) packages"),
        ("2 x 400g tins tomatoes", "1.5", None, "3 (400g) cans"),
        ("2 x 400g tins tomatoes", "1", "us", "2 (14 oz) cans"),
        ("2 cans (15 oz each) beans", "2", "metric", "4 (425 g) cans"),
        ("1 (0.25 oz) envelope yeast", "1", "metric", "1 (7 g) package"),
        ("1 stick (1/2 cup) butter", "2", "metric", "2 (115 g) sticks"),
        ("4 (6-ounce) salmon filets", "0.5", "metric", "2 (170 g)"),
        ("1 (400 ml) can coconut milk", "1", "us", "1 (13.5 fl oz) can"),
    ],
)
def test_package_sizes_convert_but_never_scale(
    line: str, factor: str, system: System | None, expected: str
) -> None:
    assert _show(line, factor, system) == expected


def test_the_package_is_a_field_of_the_line() -> None:
    document = _document("1 (14 oz) can diced tomatoes", "2 large eggs")
    can, eggs = document["ingredients"]
    assert can["package"] == {"quantity": 14, "unit": "ounce"}
    assert can["display"] == "1 (14 oz) can"
    assert eggs["package"] is None
    doubled = present(document, factor=Decimal(2), system="metric")["ingredients"]
    assert doubled[0]["quantity"] == 2
    assert doubled[0]["package"] == {"quantity": 400, "unit": "gram"}
    assert doubled[0]["size"] == "14 oz"  # as written, as is the text
    assert doubled[0]["text"] == "1 (14 oz) can diced tomatoes"
    assert doubled[1]["package"] is None


def test_old_documents_without_a_package_field_still_convert_it() -> None:
    document = _document("1 (14 oz) can tomatoes")
    del document["ingredients"][0]["package"]
    [line] = present(document, system="metric")["ingredients"]
    assert (line["display"], line["package"]) == (
        "1 (400 g) can",
        {"quantity": 400, "unit": "gram"},
    )


def test_scaling_back_shows_the_recipe_as_written() -> None:
    document = _document("731 g flour", "1 (14 oz) can tomatoes", "1/3 cup milk", servings=4)
    for servings in (1, 3, 5, 7, 13):
        present(document, servings=Decimal(servings), system="metric")
        back = present(document, servings=Decimal(4))
        assert [line["display"] for line in back["ingredients"]] == [
            line["display"] for line in document["ingredients"]
        ]
    assert [line["quantity"] for line in document["ingredients"]] == [731, 1, 0.3333]


def test_rounding_is_for_reading_only() -> None:
    document = _document("731 g flour")
    [line] = present(document, factor=Decimal(2))["ingredients"]
    assert (line["quantity"], line["unit"], line["display"]) == (1.462, "kilogram", "1.45 kg")
    [stored] = document["ingredients"]
    assert (stored["quantity"], stored["display"]) == (731, "731 g")
