"""Scaling amounts, and writing them the way a cook reads them.

Scaling only multiplies; formatting decides how exact to be. A US cook measures cups and spoons
in halves, thirds, quarters and eighths ("1½ cups", "⅓ tsp"), a metric cook reads a scale
("750 g", "1.25 kg"), and nobody wants "2.9999 eggs". The rules:

- US volume (tsp, tbsp, cup, fl oz, pint, quart, gallon) snaps to the nearest eighth or third
  and prints with fraction glyphs; a tie goes to the larger. A positive amount never prints as
  0: under 1/16 tsp it is "pinch", and anything else under ⅛ prints as ⅛. Call
  ``units.convert`` first to move a tiny number of cups into spoons.
- US mass (oz, lb) prints as a decimal with at most one place ("1.1 lb"): it is weighed on a
  scale, and scales read decimals.
- Metric as written prints 3 significant digits with at most 2 decimals, and never rounds away
  whole units: "113 g", "12.3 g", "1.25 kg", "1500 g": a 113 g stick of butter shown as 115 g
  looks wrong to the person who typed it. A computed metric amount (scaled or converted) is
  rounded the way a cook measures instead, and reads in kilograms or litres from 1000: "50 g"
  for 50.3, "730 g" for 731, "1.5 kg" for 1500 g (see ``rounding``).
- A package size stays between the count and the container, and never scales: "1 (14 oz) can"
  twice is "2 (14 oz) cans".
- Counts (no unit, or neutral units: eggs, cloves, cans, pinches) print as ¼ ⅓ ½ ⅔ ¾ below
  1, to the nearest half from 1 to 10 ("2½ eggs", "3 eggs"), and as whole numbers from 10.
- A unit the vocabulary does not know prints in the style of the reader's ``system``.
- A range joins its ends with an en dash, as typeset recipes do; when both ends round alike,
  it prints as one amount.
- Amounts round half up throughout.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

from recipevault.recipes.ingredients import ParsedIngredient
from recipevault.recipes.rounding import metric_reading
from recipevault.recipes.units import System, Unit, tidy_decimal, unit_for

_EN_DASH = "\u2013"
_GLYPHS: dict[Fraction, str] = {
    Fraction(1, 8): "⅛",
    Fraction(1, 4): "¼",
    Fraction(1, 3): "⅓",
    Fraction(3, 8): "⅜",
    Fraction(1, 2): "½",
    Fraction(5, 8): "⅝",
    Fraction(2, 3): "⅔",
    Fraction(3, 4): "¾",
    Fraction(7, 8): "⅞",
}
_MEASURING_FRACTIONS = (Fraction(0), *_GLYPHS, Fraction(1))
_COUNT_FRACTIONS = (Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(2, 3), Fraction(3, 4))
_PINCH_BELOW = Fraction(1, 16)  # of a teaspoon


def servings_factor(servings: Decimal | int, new_servings: Decimal | int) -> Decimal:
    """The factor that turns a recipe for ``servings`` into one for ``new_servings``."""
    if not (Decimal(servings) > 0 and Decimal(new_servings) > 0):
        raise ValueError("servings must be positive")
    return Decimal(new_servings) / Decimal(servings)


def scale_quantity(quantity: Decimal, factor: Decimal) -> Decimal:
    """``quantity`` times ``factor``, to 4 decimal places like a parsed quantity."""
    _check_amount(quantity)
    if not (factor.is_finite() and factor > 0):
        raise ValueError(f"a scaling factor must be positive, not {factor}")
    return tidy_decimal(quantity * factor)


def scale_ingredient(ingredient: ParsedIngredient, factor: Decimal) -> ParsedIngredient:
    """The same line for ``factor`` times as much; the text as written and a can's size stay."""
    return dataclasses.replace(
        ingredient,
        quantity=_scaled(ingredient.quantity, factor),
        quantity_max=_scaled(ingredient.quantity_max, factor),
    )


def format_quantity(
    quantity: Decimal,
    unit: str | None,
    system: System,
    *,
    computed: bool = False,
    size: str | None = None,
) -> str:
    """Write an amount for reading: "1½ cups", "⅓ tsp", "750 g", "1.1 lb", "3", "pinch"."""
    return format_amount(quantity, None, unit, system, computed=computed, size=size)


def format_amount(
    quantity: Decimal,
    quantity_max: Decimal | None,
    unit: str | None,
    system: System,
    *,
    computed: bool = False,
    size: str | None = None,
) -> str:
    """Write an amount or a range ("2-3 tbsp" with an en dash); the unit agrees with the top.

    A ``computed`` amount (scaled or converted) is rounded the way a cook measures (see
    ``rounding``); one as written keeps its digits. A package ``size`` goes between the count
    and the container: "2 (14 oz) cans".
    """
    _check_amount(quantity)
    if quantity_max is not None:
        _check_amount(quantity_max)
    known = unit_for(unit) if unit else None
    if computed and known and known.system == "metric":
        quantity, quantity_max, unit = _kitchen_metric(quantity, quantity_max, known.key)
        known = unit_for(unit)
    if quantity_max is None and known and known.key == "teaspoon" and 0 < quantity < _PINCH_BELOW:
        return "pinch"
    low, low_value = _number(quantity, known, unit, system)
    if quantity_max is None:
        numbers, value = low, low_value
    else:
        high, value = _number(quantity_max, known, unit, system)
        numbers = high if low == high else f"{low}{_EN_DASH}{high}"
    parts = (numbers, f"({size})" if size else "", _label(known, unit, value) if unit else "")
    return " ".join(part for part in parts if part)


def format_package_size(quantity: Decimal, unit: str) -> str:
    """A package's size as labels print it: "400 g", "13.5 fl oz", "1.1 lb"."""
    known = unit_for(unit)
    number = format(tidy_decimal(quantity), "f")
    return f"{number} {known.label(quantity) if known else unit}"


def _kitchen_metric(
    quantity: Decimal, quantity_max: Decimal | None, unit: str
) -> tuple[Decimal, Decimal | None, str]:
    """Both ends rounded the way a cook measures, in the unit the larger one reads best in."""
    low, low_unit = metric_reading(quantity, unit)
    if quantity_max is None:
        return low, None, low_unit
    high, high_unit = metric_reading(quantity_max, unit)
    if high_unit != low_unit:  # "900 g-1.1 kg" reads as "0.9-1.1 kg"
        low = tidy_decimal(low / 1000)
    return low, high, high_unit


def _scaled(quantity: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if quantity is None else scale_quantity(quantity, factor)


def _check_amount(quantity: Decimal) -> None:
    if not (quantity.is_finite() and quantity >= 0):
        raise ValueError(f"not an amount: {quantity}")


def _label(known: Unit | None, unit: str | None, value: Decimal) -> str:
    return known.label(value) if known else unit or ""


def _number(
    quantity: Decimal, known: Unit | None, unit: str | None, system: System
) -> tuple[str, Decimal]:
    """The number as text, and the value it shows (which decides "cup" or "cups")."""
    if known is None and unit is None:
        return _count(quantity)
    if known is None:
        return _measuring(quantity) if system == "us" else _metric(quantity)
    if known.dimension == "count":
        return _count(quantity)
    if known.system == "metric":
        return _metric(quantity)
    if known.dimension == "mass":
        return _decimal(quantity, 1)
    return _measuring(quantity)


def _measuring(quantity: Decimal) -> tuple[str, Decimal]:
    """Cups and spoons: whole number plus the nearest eighth or third."""
    whole = int(quantity)
    part = Fraction(quantity - whole)
    nearest = min(_MEASURING_FRACTIONS, key=lambda candidate: (abs(part - candidate), -candidate))
    if whole == 0 and nearest == 0 and quantity > 0:
        nearest = Fraction(1, 8)
    return _with_glyph(whole, nearest)


def _count(quantity: Decimal) -> tuple[str, Decimal]:
    if quantity >= 10:
        return _decimal(quantity, 0)
    if quantity >= 1 or quantity == 0:
        halves = tidy_decimal(quantity * 2, 0)
        return _with_glyph(int(halves) // 2, Fraction(int(halves) % 2, 2))
    nearest = min(
        (*_COUNT_FRACTIONS, Fraction(1)),
        key=lambda candidate: (abs(Fraction(quantity) - candidate), -candidate),
    )
    return _with_glyph(0, nearest)


def _with_glyph(whole: int, part: Fraction) -> tuple[str, Decimal]:
    whole, part = (whole + 1, Fraction(0)) if part == 1 else (whole, part)
    value = whole + Decimal(part.numerator) / Decimal(part.denominator)
    if not part:
        return str(whole), value
    return (f"{whole}{_GLYPHS[part]}" if whole else _GLYPHS[part]), value


def _metric(quantity: Decimal) -> tuple[str, Decimal]:
    whole_digits = len(str(int(quantity))) if quantity >= 1 else 1
    return _decimal(quantity, min(2, max(0, 3 - whole_digits)))


def _decimal(quantity: Decimal, places: int) -> tuple[str, Decimal]:
    rounded = tidy_decimal(quantity, places)
    if rounded == 0 and quantity > 0:
        # Too small for the usual places: show its first significant digit rather than "0".
        rounded = tidy_decimal(quantity, -quantity.adjusted())
    return format(rounded, "f"), rounded
