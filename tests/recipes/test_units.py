from __future__ import annotations

from decimal import Decimal

import pytest

from recipevault.recipes.densities import Density
from recipevault.recipes.units import UNITS, System, convert, tidy_decimal, unit_for

FLOUR = Density(Decimal("0.53"), "dry")
BUTTER = Density(Decimal("0.96"), "fat")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("tablespoon", "tablespoon"),
        ("Tbsp", "tablespoon"),
        ("Tbsp.", "tablespoon"),
        ("TABLESPOONS", "tablespoon"),
        ("T", "tablespoon"),
        ("t", "teaspoon"),
        ("tsp", "teaspoon"),
        ("fl oz", "fluid_ounce"),
        ("fl.  oz", "fluid_ounce"),
        ("mL", "milliliter"),
        ("L", "liter"),
        ("lbs.", "pound"),
        ("grams", "gram"),
        ("EL", "tablespoon"),
        ("tin", "can"),
        ("cloves", "clove"),
    ],
)
def test_unit_for_reads_every_spelling(name: str, key: str) -> None:
    unit = unit_for(name)
    assert unit is not None
    assert unit.key == key


@pytest.mark.parametrize("name", ["", "tomato", "Tablespoonful", "tt"])
def test_unit_for_unknown(name: str) -> None:
    assert unit_for(name) is None


def test_vocabulary_is_consistent() -> None:
    for key, unit in UNITS.items():
        assert unit.key == key
        assert unit_for(key) is unit
        assert unit_for(unit.plural) is unit
        if unit.system == "neutral":
            assert unit.dimension == "count"
        else:
            assert unit.dimension in {"mass", "volume"}
        assert not unit.package or unit.system == "neutral"


@pytest.mark.parametrize(
    ("key", "quantity", "label"),
    [
        ("cup", "0.5", "cup"),
        ("cup", "1", "cup"),
        ("cup", "1.5", "cups"),
        ("cup", "0", "cups"),
        ("tablespoon", "2", "tbsp"),
        ("gram", "250", "g"),
        ("pinch", "2", "pinches"),
        ("leaf", "3", "leaves"),
    ],
)
def test_labels(key: str, quantity: str, label: str) -> None:
    assert UNITS[key].label(Decimal(quantity)) == label


def test_pint_knows_every_measure() -> None:
    for key, unit in UNITS.items():
        if unit.dimension != "count":
            converted, _ = convert(Decimal(1), key, "metric" if unit.system == "us" else "us")
            assert converted > 0


@pytest.mark.parametrize(
    ("quantity", "unit", "system", "expected"),
    [
        ("1", "cup", "metric", ("236.5882", "milliliter")),
        ("2", "cup", "metric", ("473.1765", "milliliter")),
        ("5", "cup", "metric", ("1.1829", "liter")),
        ("1", "fluid_ounce", "metric", ("29.5735", "milliliter")),
        ("1", "quart", "metric", ("946.3529", "milliliter")),
        ("1", "pound", "metric", ("453.5924", "gram")),
        ("3", "pound", "metric", ("1.3608", "kilogram")),
        ("8", "ounce", "metric", ("226.7962", "gram")),
        ("500", "gram", "us", ("1.1023", "pound")),
        ("100", "gram", "us", ("3.5274", "ounce")),
        ("2", "kilogram", "us", ("4.4092", "pound")),
        ("250", "milliliter", "us", ("1.0567", "cup")),
        ("5", "milliliter", "us", ("1.0144", "teaspoon")),
        ("15", "milliliter", "us", ("1.0144", "tablespoon")),
        ("1", "liter", "us", ("4.2268", "cup")),
        # Within a system: a unit a cook would pick.
        ("3", "teaspoon", "us", ("1", "tablespoon")),
        ("4", "tablespoon", "us", ("0.25", "cup")),
        ("2", "tablespoon", "us", ("2", "tablespoon")),
        ("24", "ounce", "us", ("1.5", "pound")),
        ("1000", "gram", "metric", ("1", "kilogram")),
        ("2.5", "deciliter", "metric", ("250", "milliliter")),
        ("0", "cup", "metric", ("0", "milliliter")),
        # Left alone: spoons for metric readers, counts, neutral and unknown units.
        ("1", "tablespoon", "metric", ("1", "tablespoon")),
        ("2", "clove", "metric", ("2", "clove")),
        ("1", "can", "us", ("1", "can")),
        ("3", "sachet of something", "us", ("3", "sachet of something")),
    ],
)
def test_convert(quantity: str, unit: str, system: System, expected: tuple[str, str]) -> None:
    assert convert(Decimal(quantity), unit, system) == (Decimal(expected[0]), expected[1])


def test_convert_accepts_any_spelling_and_returns_the_key() -> None:
    assert convert(Decimal(2), "cups", "metric") == (Decimal("473.1765"), "milliliter")


def test_a_cup_of_flour_weighs_about_125_grams() -> None:
    quantity, unit = convert(Decimal(1), "cup", "metric", density=FLOUR)
    assert unit == "gram"
    assert Decimal(120) <= quantity <= Decimal(126)


def test_grams_of_flour_become_cups_with_a_density() -> None:
    quantity, unit = convert(Decimal(250), "gram", "us", density=FLOUR)
    assert unit == "cup"
    assert Decimal("1.9") < quantity < Decimal("2.1")


def test_density_only_crosses_systems() -> None:
    assert convert(Decimal(1), "cup", "us", density=FLOUR) == (Decimal(1), "cup")
    assert convert(Decimal(100), "gram", "metric", density=FLOUR) == (
        Decimal(100),
        "gram",
    )
    # Across systems the density is used: grams of butter become cups for a US reader.
    quantity, unit = convert(Decimal(227), "gram", "us", density=BUTTER)
    assert (tidy_decimal(quantity, 2), unit) == (Decimal(1), "cup")


@pytest.mark.parametrize("quantity", ["-1", "NaN", "Infinity"])
def test_convert_refuses_nonsense(quantity: str) -> None:
    with pytest.raises(ValueError, match="quantity"):
        convert(Decimal(quantity), "cup", "metric")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("1.50000", 4, "1.5"),
        ("100", 4, "100"),
        ("1E+2", 4, "100"),
        ("0.33333", 4, "0.3333"),
        ("0.66666", 4, "0.6667"),
        ("2.25", 1, "2.3"),
        ("1E+40", 4, "10000000000000000000000000000000000000000"),
    ],
)
def test_tidy_decimal(value: str, places: int, expected: str) -> None:
    assert str(tidy_decimal(Decimal(value), places)) == expected


def test_tidy_decimal_refuses_infinity() -> None:
    with pytest.raises(ValueError, match="finite"):
        tidy_decimal(Decimal("Infinity"))
