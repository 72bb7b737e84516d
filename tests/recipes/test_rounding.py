"""Rounding a computed amount the way a cook measures it, and a package's size the way products
are sized: examples, then properties over many amounts."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from recipevault.recipes.rounding import (
    KITCHEN_GRAMS,
    KITCHEN_MILLILITRES,
    PACKAGE_METRIC,
    Steps,
    metric_reading,
    package_reading,
    round_to_step,
    step_for,
)
from recipevault.recipes.units import convert


@pytest.mark.parametrize(
    ("quantity", "unit", "expected"),
    [
        ("50.3", "gram", ("50", "gram")),
        ("731", "gram", ("730", "gram")),
        ("113.3981", "gram", ("115", "gram")),
        ("226.8", "gram", ("225", "gram")),
        ("453.5924", "gram", ("450", "gram")),
        ("12.3", "gram", ("12", "gram")),
        ("2.3", "gram", ("2.5", "gram")),
        ("0.34", "gram", ("0.3", "gram")),
        ("0.004", "gram", ("0.004", "gram")),
        ("0", "gram", ("0", "gram")),
        ("999.7", "gram", ("1", "kilogram")),
        ("1462", "gram", ("1.45", "kilogram")),
        ("1.3608", "kilogram", ("1.35", "kilogram")),
        ("3.1", "kilogram", ("3.1", "kilogram")),
        ("0.25", "kilogram", ("250", "gram")),
        ("59.1471", "milliliter", ("60", "milliliter")),
        ("78.8627", "milliliter", ("80", "milliliter")),
        ("236.5882", "milliliter", ("240", "milliliter")),
        ("473.1765", "milliliter", ("470", "milliliter")),
        ("29.5735", "milliliter", ("30", "milliliter")),
        ("7.4", "milliliter", ("7.5", "milliliter")),
        ("1.1829", "liter", ("1.2", "liter")),
        ("2.5", "deciliter", ("250", "milliliter")),
    ],
)
def test_metric_reading(quantity: str, unit: str, expected: tuple[str, str]) -> None:
    assert metric_reading(Decimal(quantity), unit) == (Decimal(expected[0]), expected[1])


def _amounts() -> list[Decimal]:
    """Every tenth of a percent on a log scale from 0.01 to 100,000, and seeded random ones."""
    ladder = [Decimal(10) ** Decimal(n / 1000 - 2) for n in range(7001)]
    generator = random.Random(1807)  # noqa: S311 - seeded sampling, not secrets
    scattered = [Decimal(str(round(generator.uniform(0.01, 5000), 4))) for _ in range(3000)]
    return [amount.quantize(Decimal("0.0001")) for amount in ladder + scattered if amount > 0]


AMOUNTS = _amounts()


def _significant_digits(value: Decimal) -> int:
    return len(value.normalize().as_tuple().digits)


@pytest.mark.parametrize("steps", [KITCHEN_GRAMS, KITCHEN_MILLILITRES], ids=["grams", "ml"])
def test_rounding_stays_close_and_reads_like_a_cook_would_write_it(steps: Steps) -> None:
    for amount in AMOUNTS:
        rounded = round_to_step(amount, steps)
        assert rounded > 0, amount
        if amount >= 10:
            assert abs(rounded - amount) <= amount * Decimal("0.05"), amount
        elif amount >= Decimal("0.05"):
            assert abs(rounded - amount) <= Decimal("0.25"), amount
        # A cook-friendly form: a whole number of its step, and at most 3 significant digits
        # (730, 1.25 kg, 2.5), which is also why rounding it again changes nothing.
        if amount >= Decimal("0.05"):
            assert rounded % step_for(rounded, steps) == 0, amount
        assert _significant_digits(rounded) <= 3 or rounded >= 1000, amount
        assert round_to_step(rounded, steps) == rounded, amount


@pytest.mark.parametrize(
    "steps", [KITCHEN_GRAMS, KITCHEN_MILLILITRES, PACKAGE_METRIC], ids=["grams", "ml", "packages"]
)
def test_more_never_reads_as_less(steps: Steps) -> None:
    ordered = sorted(AMOUNTS)
    readings = [round_to_step(amount, steps) for amount in ordered]
    assert readings == sorted(readings)


def test_a_step_table_covers_every_amount() -> None:
    assert step_for(Decimal(10) ** 12, KITCHEN_GRAMS) == 100
    with pytest.raises(ValueError, match="amount"):
        round_to_step(Decimal(-1), KITCHEN_GRAMS)


@pytest.mark.parametrize(
    ("size", "unit", "system", "expected"),
    [
        # US cans and packages in grams, as metric shops sell them.
        ("14", "ounce", "metric", ("400", "gram")),
        ("14.5", "ounce", "metric", ("400", "gram")),
        ("15", "ounce", "metric", ("425", "gram")),
        ("28", "ounce", "metric", ("800", "gram")),
        ("8", "ounce", "metric", ("225", "gram")),
        ("6", "ounce", "metric", ("170", "gram")),
        ("0.25", "ounce", "metric", ("7", "gram")),
        ("2", "pound", "metric", ("900", "gram")),
        ("3", "pound", "metric", ("1.35", "kilogram")),
        ("12", "fluid_ounce", "metric", ("350", "milliliter")),
        # Metric tins, jars and cartons in ounces and fluid ounces, as US labels give them.
        ("400", "gram", "us", ("14", "ounce")),
        ("200", "gram", "us", ("7", "ounce")),
        ("1", "kilogram", "us", ("2.2", "pound")),
        ("400", "milliliter", "us", ("13.5", "fluid_ounce")),
        ("750", "milliliter", "us", ("25", "fluid_ounce")),
    ],
)
def test_package_sizes_convert_to_sizes_products_come_in(
    size: str, unit: str, system: str, expected: tuple[str, str]
) -> None:
    converted, target = convert(Decimal(size), unit, system, package=True)  # type: ignore[arg-type]
    assert package_reading(converted, target) == (Decimal(expected[0]), expected[1])


def test_package_sizes_stay_within_five_percent() -> None:
    for amount in AMOUNTS:
        if amount >= 10:
            rounded = round_to_step(amount, PACKAGE_METRIC)
            assert abs(rounded - amount) <= amount * Decimal("0.05"), amount
