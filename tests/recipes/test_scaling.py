from __future__ import annotations

from decimal import Decimal

import pytest

from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.scaling import (
    format_amount,
    format_quantity,
    scale_ingredient,
    scale_quantity,
    servings_factor,
)
from recipevault.recipes.units import System, convert, density_for

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


def _show(line: str, factor: str, system: System) -> str:
    """Parse, scale, convert (with a density when one is known) and format, as a page would."""
    parsed = scale_ingredient(parse_ingredient(line), Decimal(factor))
    assert parsed.quantity is not None
    unit = parsed.unit
    density = density_for(parsed.food or "")
    low = high = None
    if unit:
        low, unit = convert(parsed.quantity, unit, system, density_g_per_ml=density)
        if parsed.quantity_max is not None:
            high, _ = convert(
                parsed.quantity_max, parsed.unit or "", system, density_g_per_ml=density
            )
    return format_amount(low or parsed.quantity, high or parsed.quantity_max, unit, system)


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
        ("1-2 cups flour", "1", "metric", f"125{EN_DASH}251 g"),
        ("750 g flour", "2", "metric", "1.5 kg"),
        ("1 (14 oz) can tomatoes", "2", "metric", "2 cans"),
    ],
)
def test_scale_convert_and_show(line: str, factor: str, system: System, expected: str) -> None:
    assert _show(line, factor, system) == expected
