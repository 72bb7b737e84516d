from __future__ import annotations

from decimal import Decimal

import pytest

from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.scaling import (
    format_amount,
    format_package_size,
    format_quantity,
    scale_ingredient,
    scale_quantity,
    servings_factor,
)
from recipevault.recipes.units import System

EN_DASH = "\u2013"


def test_servings_factor() -> None:
    assert servings_factor(4, 6) == Decimal("1.5")
    assert servings_factor(4, 2) == Decimal("0.5")
    assert servings_factor(Decimal("2.5"), 5) == 2


@pytest.mark.parametrize(("servings", "new_servings"), [(0, 4), (4, 0), (-2, 4)])
def test_servings_factor_refuses_no_servings(servings: int, new_servings: int) -> None:
    with pytest.raises(ValueError, match="servings"):
        servings_factor(servings, new_servings)


@pytest.mark.parametrize(
    ("quantity", "factor", "expected"),
    [
        ("2", "1.5", "3"),
        ("1", "0.5", "0.5"),
        ("0.3333", "3", "0.9999"),
        ("1.5", "0.25", "0.375"),
        ("250", "4", "1000"),
        ("0", "3", "0"),
        ("1", str(Decimal(2) / Decimal(3)), "0.6667"),
    ],
)
def test_scale_quantity(quantity: str, factor: str, expected: str) -> None:
    assert scale_quantity(Decimal(quantity), Decimal(factor)) == Decimal(expected)


@pytest.mark.parametrize(
    ("quantity", "factor"), [("1", "0"), ("1", "-2"), ("-1", "2"), ("1", "NaN")]
)
def test_scale_quantity_refuses_nonsense(quantity: str, factor: str) -> None:
    with pytest.raises(ValueError, match=r"factor|amount"):
        scale_quantity(Decimal(quantity), Decimal(factor))


def test_scale_ingredient_scales_both_ends_and_keeps_the_rest() -> None:
    parsed = parse_ingredient("1-2 (14 oz) cans tomatoes, drained")
    scaled = scale_ingredient(parsed, Decimal("1.5"))
    assert (scaled.quantity, scaled.quantity_max) == (Decimal("1.5"), Decimal(3))
    assert scaled.text == parsed.text
    assert (scaled.unit, scaled.size, scaled.food, scaled.note) == (
        "can",
        "14 oz",
        "tomatoes",
        "drained",
    )


def test_scale_ingredient_without_quantity() -> None:
    parsed = parse_ingredient("salt to taste")
    assert scale_ingredient(parsed, Decimal(2)) == parsed


@pytest.mark.parametrize(
    ("quantity", "unit", "system", "expected"),
    [
        # US volume: eighths and thirds, with glyphs.
        ("0.3333", "cup", "us", "⅓ cup"),
        ("0.333333333", "cup", "us", "⅓ cup"),
        ("0.6667", "cup", "us", "⅔ cup"),
        ("0.66", "cup", "us", "⅔ cup"),
        ("0.125", "cup", "us", "⅛ cup"),
        ("0.75", "cup", "us", "¾ cup"),
        ("0.99", "cup", "us", "1 cup"),
        ("1", "cup", "us", "1 cup"),
        ("1.5", "cup", "us", "1½ cups"),
        ("1.999", "cup", "us", "2 cups"),
        ("2.5", "cup", "us", "2½ cups"),
        ("2.6667", "cup", "us", "2⅔ cups"),
        ("0.375", "teaspoon", "us", "⅜ tsp"),
        ("0.9999", "tablespoon", "us", "1 tbsp"),
        ("0.0625", "teaspoon", "us", "⅛ tsp"),
        ("0.03", "teaspoon", "us", "pinch"),
        ("0.01", "cup", "us", "⅛ cup"),
        ("0", "cup", "us", "0 cups"),
        ("1000000.5", "cup", "us", "1000000½ cups"),
        ("0.5", "cup", "metric", "½ cup"),
        # US mass: one decimal.
        ("1.1023", "pound", "us", "1.1 lb"),
        ("8", "ounce", "us", "8 oz"),
        ("0.04", "ounce", "us", "0.04 oz"),
        # Metric: 3 significant digits, at most 2 decimals, whole units kept.
        ("750", "gram", "metric", "750 g"),
        ("453.5924", "gram", "metric", "454 g"),
        ("125.3918", "gram", "metric", "125 g"),
        ("12.345", "gram", "metric", "12.3 g"),
        ("2.546", "gram", "metric", "2.55 g"),
        ("1500", "gram", "metric", "1500 g"),
        ("1.5", "kilogram", "metric", "1.5 kg"),
        ("1.25", "liter", "metric", "1.25 l"),
        ("1.1829", "liter", "metric", "1.18 l"),
        ("0.004", "gram", "metric", "0.004 g"),
        ("0", "gram", "metric", "0 g"),
        ("1E+30", "gram", "metric", "1" + "0" * 30 + " g"),
        # Counts: fractions below 1, halves to 10, whole numbers after.
        ("3", None, "us", "3"),
        ("0.5", None, "us", "½"),
        ("0.5", None, "metric", "½"),
        ("0.9999", None, "us", "1"),
        ("2.5", None, "us", "2½"),
        ("2.8", None, "us", "3"),
        ("12.4", None, "us", "12"),
        ("0.1", None, "us", "¼"),
        ("0", None, "us", "0"),
        ("2.5", "clove", "metric", "2½ cloves"),
        ("1", "can", "us", "1 can"),
        ("2", "pinch", "us", "2 pinches"),
        # Units outside the vocabulary follow the reader's system.
        ("1.5", "tablet", "us", "1½ tablet"),
        ("1.5", "tablet", "metric", "1.5 tablet"),
    ],
)
def test_format_quantity(quantity: str, unit: str | None, system: System, expected: str) -> None:
    assert format_quantity(Decimal(quantity), unit, system) == expected


@pytest.mark.parametrize("quantity", ["-1", "NaN", "Infinity"])
def test_format_quantity_refuses_nonsense(quantity: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        format_quantity(Decimal(quantity), "cup", "us")


@pytest.mark.parametrize(
    ("quantity", "quantity_max", "unit", "expected"),
    [
        ("2", "3", "tablespoon", f"2{EN_DASH}3 tbsp"),
        ("0.5", "1", "cup", f"½{EN_DASH}1 cup"),
        ("1", "2", "cup", f"1{EN_DASH}2 cups"),
        ("0.99", "1", "cup", "1 cup"),
        ("2", "3", None, f"2{EN_DASH}3"),
        ("300", "325", "gram", f"300{EN_DASH}325 g"),
        ("2", None, "cup", "2 cups"),
    ],
)
def test_format_amount(
    quantity: str, quantity_max: str | None, unit: str | None, expected: str
) -> None:
    top = None if quantity_max is None else Decimal(quantity_max)
    assert format_amount(Decimal(quantity), top, unit, "us") == expected


@pytest.mark.parametrize(
    ("quantity", "quantity_max", "unit", "system", "expected"),
    [
        # Computed metric amounts are rounded the way a cook measures them.
        ("50.3", None, "gram", "metric", "50 g"),
        ("731", None, "gram", "metric", "730 g"),
        ("113.3981", None, "gram", "metric", "115 g"),
        ("1462", None, "gram", "metric", "1.45 kg"),
        ("78.86", None, "milliliter", "metric", "80 ml"),
        ("2.3", None, "gram", "metric", "2.5 g"),
        ("900", "1100", "gram", "metric", f"0.9{EN_DASH}1.1 kg"),
        ("300", "325", "gram", "metric", f"300{EN_DASH}330 g"),
        ("250.4", "250.8", "gram", "metric", "250 g"),
        # US measures already read as a cook measures them.
        ("0.6667", None, "cup", "us", "⅔ cup"),
        ("1.1023", None, "pound", "us", "1.1 lb"),
        ("2.5", None, None, "us", "2½"),
    ],
)
def test_computed_amounts_are_rounded_for_the_cook(
    quantity: str, quantity_max: str | None, unit: str | None, system: System, expected: str
) -> None:
    top = None if quantity_max is None else Decimal(quantity_max)
    assert format_amount(Decimal(quantity), top, unit, system, computed=True) == expected


def test_amounts_as_written_keep_their_digits() -> None:
    assert format_amount(Decimal("731"), None, "gram", "metric") == "731 g"
    assert format_amount(Decimal("113"), None, "gram", "metric") == "113 g"
    assert format_amount(Decimal("1500"), None, "gram", "metric") == "1500 g"


@pytest.mark.parametrize(
    ("quantity", "unit", "size", "expected"),
    [
        ("1", "can", "14 oz", "1 (14 oz) can"),
        ("2", "can", "14 oz", "2 (14 oz) cans"),
        ("2", "can", "400 g", "2 (400 g) cans"),
        ("3", "package", "8-ounce", "3 (8-ounce) packages"),
        ("4", None, "6-ounce", "4 (6-ounce)"),
        ("1.5", "can", "15 oz", "1½ (15 oz) cans"),
    ],
)
def test_a_package_size_stands_between_count_and_container(
    quantity: str, unit: str | None, size: str, expected: str
) -> None:
    assert format_quantity(Decimal(quantity), unit, "us", size=size) == expected


@pytest.mark.parametrize(
    ("quantity", "unit", "expected"),
    [
        ("400", "gram", "400 g"),
        ("13.5", "fluid_ounce", "13.5 fl oz"),
        ("1.1", "pound", "1.1 lb"),
        ("1.35", "kilogram", "1.35 kg"),
        ("14", "ounce", "14 oz"),
    ],
)
def test_format_package_size(quantity: str, unit: str, expected: str) -> None:
    assert format_package_size(Decimal(quantity), unit) == expected
