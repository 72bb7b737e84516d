"""How precise a computed amount should be: as precise as a cook measures, or as a product is
sized. Pure.

An amount someone wrote ("113 g butter") is shown as written. An amount the site computed, by
scaling or converting, has no more precision than the cook can use: "50.3 g" is weighed as
50 g, and "731 g" as 730 g. Rounding is only ever for reading: stored quantities keep every
digit, and each view is computed from them, so scaling by 3 and back shows the original again.

Metric amounts round to a step that grows with the amount. Scales read grams; jugs are marked
every 10 ml or so, so millilitres round a little coarser from 50 up:

==================  =========  ===========  =====================
amount              grams      millilitres  for example
==================  =========  ===========  =====================
below 1             0.1        0.1          0.3 g saffron
1 to 10             0.5        0.5          2.5 g, 7.5 ml
10 to 50            1          1            48 g, 30 ml
50 to 100           1          5            50 g, 60 ml
100 to 250          5          10           115 g, 240 ml
250 to 1000         10         10           730 g, 470 ml
1000 to 2500        50         50           1.25 kg, 1.2 l
2500 and more       100        100          2.5 kg, 3.8 l
==================  =========  ===========  =====================

From 10 up the amount shown is within 5 % of the exact one; below 10 it is within a quarter of
a gram or millilitre. A positive amount never shows as 0: below 0.05 it keeps its first
significant digit.

A package's size ("1 (14 oz) can") is converted to the size such products are sold in, which
is rounder: in metric, to 0.5 below 10, to 1 up to 50, to 5 up to 250, to 25 up to 1000 and to 50
above, within 5 % from 10 up (14 oz = 396.9 g is a 400 g can, 15 oz a 425 g can, 28 oz an 800 g
can, ¼ oz of yeast 7 g); in US units, to half an ounce (or fluid ounce) below 16 and a whole one
above (400 g is 14 oz, 400 ml 13.5 fl oz), and pounds to a tenth (1 kg is 2.2 lb).

US cups and spoons need no step here: they are read as fractions (see ``scaling``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from types import MappingProxyType

from recipevault.recipes.units import Dimension, base_amount, metric_unit, tidy_decimal

# (below, step): the step for amounts under ``below``; the last row has no upper end.
Steps = Sequence[tuple[Decimal | None, Decimal]]


def _steps(*rows: tuple[str | None, str]) -> Steps:
    return tuple((None if below is None else Decimal(below), Decimal(step)) for below, step in rows)


KITCHEN_GRAMS = _steps(
    ("1", "0.1"),
    ("10", "0.5"),
    ("100", "1"),
    ("250", "5"),
    ("1000", "10"),
    ("2500", "50"),
    (None, "100"),
)
KITCHEN_MILLILITRES = _steps(
    ("1", "0.1"),
    ("10", "0.5"),
    ("50", "1"),
    ("100", "5"),
    ("1000", "10"),
    ("2500", "50"),
    (None, "100"),
)
KITCHEN: Mapping[Dimension, Steps] = MappingProxyType(
    {"mass": KITCHEN_GRAMS, "volume": KITCHEN_MILLILITRES}
)
PACKAGE_METRIC = _steps(("10", "0.5"), ("50", "1"), ("250", "5"), ("1000", "25"), (None, "50"))
PACKAGE_OUNCES = _steps(("16", "0.5"), (None, "1"))
PACKAGE_POUNDS = _steps((None, "0.1"))
_PER_THOUSAND = {"kilogram": Decimal(1000), "liter": Decimal(1000)}


def step_for(amount: Decimal, steps: Steps) -> Decimal:
    """The step ``amount`` rounds to in ``steps``."""
    for below, step in steps:
        if below is None or amount < below:
            return step
    raise ValueError("the last row of a step table has no upper end")


def round_to_step(amount: Decimal, steps: Steps) -> Decimal:
    """``amount`` rounded half up to its step; a positive amount too small for the first step
    keeps its first significant digit instead of becoming 0."""
    if not (amount.is_finite() and amount >= 0):
        raise ValueError(f"not an amount: {amount}")
    step = step_for(amount, steps)
    rounded = (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    if rounded == 0 and amount > 0:
        # Its first digit, cut rather than rounded: rounding up could reach half a step,
        # which would round to a whole step the next time.
        return amount.quantize(Decimal(1).scaleb(amount.adjusted()), rounding=ROUND_DOWN)
    return tidy_decimal(rounded)


def metric_reading(quantity: Decimal, unit: str, steps: Steps | None = None) -> tuple[Decimal, str]:
    """A metric amount (``unit`` a canonical metric key) rounded the way a cook measures it (or
    by ``steps``), in grams or kilograms, millilitres or litres, whichever reads best once
    rounded."""
    amount, dimension = base_amount(quantity, unit)
    return _in_metric_unit(round_to_step(amount, steps or KITCHEN[dimension]), dimension)


def _in_metric_unit(amount: Decimal, dimension: Dimension) -> tuple[Decimal, str]:
    target = metric_unit(amount, dimension)
    return tidy_decimal(amount / _PER_THOUSAND.get(target, Decimal(1))), target


def package_reading(quantity: Decimal, unit: str) -> tuple[Decimal, str]:
    """A converted package size (``unit`` a canonical mass or volume key) rounded the way
    products are sized, and the unit it then reads in."""
    if unit == "pound":
        return round_to_step(quantity, PACKAGE_POUNDS), unit
    if unit in ("ounce", "fluid_ounce"):
        return round_to_step(quantity, PACKAGE_OUNCES), unit
    return metric_reading(quantity, unit, PACKAGE_METRIC)
