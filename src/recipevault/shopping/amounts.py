"""The amounts of one shopping list line: the parts it is made of, and the totals they add up
to in a reader's units. Pure: no database, no I/O.

A part's amount is of one kind (``Kind``), and only amounts of the same kind add up:

- ``mass`` and ``volume``: a unit of measure (g, kg, oz, lb; ml, l, tsp, tbsp, cup ...).
  Masses add to masses and volumes to volumes through pint (``units.base_amount``); a mass and
  a volume add up only when the food has a density (``densities``), into one amount.
- ``number``: no unit ("3 onions"), added per item size: "2 large eggs" and "1 egg" stay two.
- ``count``: a counted unit (cloves, pinches, handfuls, slices), added per unit and size.
- ``package``: cans, jars, boxes, sticks ..., added per package size, the size compared as the
  reader sees it: "1 (14 oz) can" and "1 (400 g) can" are the same can to a metric reader
  (both read "400 g") and to a US one (both "14 oz"), and two cans to a reader of units as
  written. A can of no stated size is not a 14 oz can.
- ``free``: a unit the vocabulary does not know ("2 mugs"), added only to the same unit,
  singular and plural folded where the plural is regular enough to be written back ("mugs",
  "glasses"; "cm" only adds to "cm").

A range ("2-3 onions") adds its bottom to the bottoms and its top to the tops: "2-3 onions" and
"1 onion" are "3-4 onions".

Totals are kept exact (``Decimal``; the arithmetic runs at 50 digits and each part's amount in
grams or millilitres is cut at 12 decimals, so the sum is the same in any order); rounding is
only for the ``text`` a cook reads (``scaling.format_amount``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Literal

from recipevault.recipes.densities import Density
from recipevault.recipes.ingredients import Measure, ParsedIngredient, package_size
from recipevault.recipes.rounding import package_reading
from recipevault.recipes.scaling import format_amount, format_package_size, format_quantity
from recipevault.recipes.units import (
    UNITS,
    Dimension,
    System,
    Unit,
    UnitSystem,
    base_amount,
    convert,
    tidy_decimal,
    unit_for,
)
from recipevault.recipes.vocabulary.resolving import plural, singular, term_key

Kind = Literal["number", "mass", "volume", "count", "package", "free"]
# The order amounts are read in: a bare number first, as it carries the food ("1 onion + 200 g").
KINDS: tuple[Kind, ...] = ("number", "mass", "volume", "count", "package", "free")
_SPOONS = frozenset({"teaspoon", "tablespoon"})
_EXACT = Decimal("1e-12")
_PRECISION = 50  # digits: sums of parts cut at 12 decimals stay exact, whatever their order
# No shopping amount comes near it (a recipe's amount, scaled, stays far below); it keeps a
# thousand such parts in grams within the precision above.
MAX_QUANTITY = Decimal(10) ** 15
_TEASPOONS_PER_TABLESPOON = Decimal(3)
_HALF_TABLESPOON = Decimal("1.5")  # in teaspoons
_TEASPOONS_PER_QUARTER_CUP = Decimal(12)


@dataclass(frozen=True, slots=True)
class ItemPart:
    """One contribution to a list line: a recipe's ingredient at its servings, or an amount
    someone typed. ``unit`` is a canonical key (any spelling ``units.unit_for`` knows is read
    as its key), free text, or None for a bare count; ``size`` is a package size ("14 oz") or a
    size word ("large"), as the ingredient parser gives it; ``text`` is the line as written.

    Refuses (``ValueError``) a quantity that is not a positive number up to ``MAX_QUANTITY``, a
    ``quantity_max`` not above ``quantity``, and a unit, size or upper bound without a quantity.
    """

    text: str
    quantity: Decimal | None = None
    quantity_max: Decimal | None = None
    unit: str | None = None
    size: str | None = None
    food: str | None = None

    def __post_init__(self) -> None:
        if self.quantity is None:
            given = [name for name in ("quantity_max", "unit", "size") if getattr(self, name)]
            if given:
                raise ValueError(f"{given[0]} given without a quantity")
            return
        if not (self.quantity.is_finite() and 0 < self.quantity <= MAX_QUANTITY):
            raise ValueError(f"a quantity must be a positive number, not {self.quantity}")
        top = self.quantity_max
        if top is not None and not (top.is_finite() and self.quantity < top <= MAX_QUANTITY):
            raise ValueError(f"a range must end above {self.quantity}, not at {top}")

    @classmethod
    def from_ingredient(cls, ingredient: ParsedIngredient) -> ItemPart:
        """The part a parsed ingredient line (scaled to its servings) contributes."""
        return cls(
            text=ingredient.text,
            quantity=ingredient.quantity,
            quantity_max=ingredient.quantity_max,
            unit=ingredient.unit,
            size=ingredient.size,
            food=ingredient.food,
        )

    @property
    def top(self) -> Decimal:
        """The upper end of the amount (the amount itself when it is not a range)."""
        if self.quantity is None:
            raise ValueError("a part without a quantity has no amount")
        return self.quantity_max or self.quantity


@dataclass(frozen=True, slots=True)
class MergedAmount:
    """One total of a line in the unit it is read in: ``quantity`` (and ``quantity_max`` for a
    range) exact to 4 decimals in ``unit`` (a canonical key, free text, or None for a bare
    count), ``size`` the package size or size word as shown, and ``text`` the amount rounded
    for reading, without the food: "700 g", "4 tsp", "2 (14 oz) cans", "3"."""

    kind: Kind
    quantity: Decimal
    quantity_max: Decimal | None
    unit: str | None
    size: str | None
    text: str


def amount_totals(
    parts: Iterable[ItemPart], *, density: Density | None, system: UnitSystem
) -> tuple[MergedAmount, ...]:
    """The totals of the parts that have a quantity, one per kind of amount that cannot be
    added to the others, in reading order; the same for the same parts in any order."""
    with localcontext() as context:
        context.prec = _PRECISION
        return _totals(parts, density, system)


def _totals(
    parts: Iterable[ItemPart], density: Density | None, system: UnitSystem
) -> tuple[MergedAmount, ...]:
    measures: list[_Measured] = []
    counted: dict[tuple[Kind, str, str], list[ItemPart]] = {}
    for part in parts:
        if part.quantity is None:
            continue
        unit = _unit(part.unit)
        if unit is not None and unit.dimension != "count":
            measures.append(_Measured.of(part, unit))
        else:
            kind, key = _counted_kind(part, unit)
            size_key, size_text = _size(part.size, density, system)
            counted.setdefault((kind, f"{key}|{size_key}", size_text or ""), []).append(part)
    totals = _measure_totals(measures, density, system)
    totals += [
        _counted_total(kind, group, size_text or None, system)
        for (kind, _, size_text), group in sorted(counted.items(), key=lambda item: item[0][:2])
    ]
    return tuple(sorted(totals, key=lambda total: KINDS.index(total.kind)))


def _unit(unit: str | None) -> Unit | None:
    return unit_for(unit) if unit and unit.strip() else None


def _style(system: UnitSystem) -> System:
    """How a unit the vocabulary does not know is written: a neutral reader gets fractions."""
    return "metric" if system == "metric" else "us"


# Measures -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Measured:
    """A measured part in grams or millilitres (``dimension``), low and high end."""

    part: ItemPart
    unit: str
    dimension: Dimension
    low: Decimal
    high: Decimal

    @classmethod
    def of(cls, part: ItemPart, unit: Unit) -> _Measured:
        low, dimension = base_amount(_quantity(part), unit.key)
        high, _ = base_amount(part.top, unit.key)
        return cls(part, unit.key, dimension, low.quantize(_EXACT), high.quantize(_EXACT))

    def crossed(self, density: Density) -> _Measured:
        """The same amount in the other dimension."""
        other: Dimension = "volume" if self.dimension == "mass" else "mass"
        low, high = (_across(end, self.dimension, density) for end in (self.low, self.high))
        return _Measured(self.part, self.unit, other, low.quantize(_EXACT), high.quantize(_EXACT))


def _across(amount: Decimal, dimension: Dimension, density: Density) -> Decimal:
    """``amount`` grams as millilitres, or millilitres as grams."""
    return amount / density.g_per_ml if dimension == "mass" else amount * density.g_per_ml


def _quantity(part: ItemPart) -> Decimal:
    if part.quantity is None:
        raise ValueError("a part without a quantity has no amount")
    return part.quantity


def _measure_totals(
    measures: Sequence[_Measured], density: Density | None, system: UnitSystem
) -> list[MergedAmount]:
    dimensions = {measure.dimension for measure in measures}
    if density is not None and len(dimensions) > 1:
        target = _target_dimension(measures, density, system)
        together = [m if m.dimension == target else m.crossed(density) for m in measures]
        return [_measure_total(together, density, system)]
    return [
        _measure_total([m for m in measures if m.dimension == dimension], density, system)
        for dimension in ("mass", "volume")
        if dimension in dimensions
    ]


def _target_dimension(
    measures: Sequence[_Measured], density: Density, system: UnitSystem
) -> Dimension:
    """Where masses and volumes of one food meet: what a metric cook weighs or pours (see
    ``densities``), a US cook's cups and spoons, or for units as written the dimension that
    holds more of the food."""
    if system == "metric":
        return "volume" if density.measured == "liquid" else "mass"
    if system == "us":
        return "volume"
    grams = {"mass": Decimal(0), "volume": Decimal(0)}
    for measure in measures:
        weighed = measure if measure.dimension == "mass" else measure.crossed(density)
        grams[measure.dimension] += weighed.low
    return "mass" if grams["mass"] > grams["volume"] else "volume"


def _measure_total(
    measures: Sequence[_Measured], density: Density | None, system: UnitSystem
) -> MergedAmount:
    dimension = measures[0].dimension
    low = sum((m.low for m in measures), Decimal(0))
    high = sum((m.high for m in measures), Decimal(0))
    unit = _largest_unit(measures)
    if (
        system == "metric"
        and unit in _SPOONS
        and (low * 4 > _per_unit("cup") or any(m.unit not in _SPOONS for m in measures))
    ):
        # Spoons stay spoons for a metric reader only up to 4 tbsp and when every part was a
        # spoon; past that, they are a US volume like any other: weighed or poured in ml.
        unit = "cup"
    if system != "neutral":  # ``convert`` picks the unit; the amount is computed exactly here
        _, unit = convert(low / _per_unit(unit), unit, system, density=density)
    if unit in _SPOONS:
        unit = _spoon(_exactly(low, dimension, "teaspoon", density))
        if high != low and _spoon(_exactly(high, dimension, "teaspoon", density)) != unit:
            unit = "teaspoon"
    quantity = _exactly(low, dimension, unit, density)
    top = None if high == low else _exactly(high, dimension, unit, density)
    written = measures[0].part
    computed = len(measures) > 1 or unit != measures[0].unit or quantity != written.quantity
    text = format_amount(quantity, top, unit, _style(system), computed=computed)
    return MergedAmount(dimension, quantity, top, unit, None, text)


def _per_unit(unit: str) -> Decimal:
    """How many grams or millilitres one ``unit`` is."""
    return base_amount(Decimal(1), unit)[0]


def _exactly(amount: Decimal, dimension: Dimension, unit: str, density: Density | None) -> Decimal:
    """``amount`` grams or millilitres (``dimension``) in ``unit``, across to the other
    dimension by the density when ``unit`` is there (as ``convert`` went)."""
    if UNITS[unit].dimension != dimension:
        if density is None:
            raise ValueError(f"no density to read {dimension} in {unit}")
        amount = _across(amount, dimension, density)
    return _exact(amount / _per_unit(unit))


def _exact(quantity: Decimal) -> Decimal:
    """Four decimals, or four significant digits when smaller, as ``convert`` gives."""
    return tidy_decimal(quantity, max(4, 3 - quantity.adjusted()))


def _largest_unit(measures: Sequence[_Measured]) -> str:
    """The unit that holds the largest share of the total, among those of its dimension."""
    shares: dict[str, Decimal] = {}
    dimension = measures[0].dimension
    for measure in measures:
        if UNITS[measure.unit].dimension == dimension:
            shares[measure.unit] = shares.get(measure.unit, Decimal(0)) + measure.low
    if not shares:  # every part crossed over: read the total in grams or millilitres
        return "gram" if dimension == "mass" else "milliliter"
    return max(shares, key=lambda unit: (shares[unit], unit))


def _spoon(teaspoons: Decimal) -> str:
    """Spoons as a cook measures them: whole or half tablespoons from one tablespoon up, else
    teaspoons up to a quarter cup (1 tsp + 1 tbsp is "4 tsp", not "1⅓ tbsp"; 2 tsp + 1 tsp is
    "1 tbsp"), and tablespoons past it ("8⅓ tbsp", not "25 tsp")."""
    if teaspoons >= _TEASPOONS_PER_QUARTER_CUP:
        return "tablespoon"
    whole_or_half = teaspoons >= _TEASPOONS_PER_TABLESPOON and teaspoons % _HALF_TABLESPOON == 0
    return "tablespoon" if whole_or_half else "teaspoon"


# Counts, packages and free-text units ---------------------------------------------------------


def _counted_kind(part: ItemPart, unit: Unit | None) -> tuple[Kind, str]:
    """The kind of a counted part, and the key it adds up under."""
    if unit is not None:
        return ("package" if unit.package else "count"), unit.key
    if part.unit and part.unit.strip():
        return "free", free_unit_key(part.unit)[0]
    return "number", ""


def free_unit_key(unit: str) -> tuple[str, bool]:
    """The key a unit the vocabulary does not know adds up under, and whether it inflects:
    "mugs" and "Mug" are "mug"; "cm" is only "cm", as its plural would not read back."""
    key = term_key(unit)
    one = singular(key)
    return (one, True) if singular(plural(one)) == one else (key, False)


@functools.lru_cache(maxsize=1024)  # few sizes recur: "14 oz", "400 g", "large"
def _size(size: str | None, density: Density | None, system: UnitSystem) -> tuple[str, str | None]:
    """What a size adds up under, and how it is shown. A package size is compared as the
    reader sees it (converted and rounded as such products are sized)."""
    if not (size and size.strip()):
        return "", None
    measure = package_size(size)
    if measure is None:
        word = " ".join(size.casefold().split())
        return f"word:{word}", word
    shown = _size_reading(measure, density, system)
    grams, dimension = base_amount(shown.quantity, shown.unit)
    key = f"{dimension}:{tidy_decimal(grams)}"
    return key, format_package_size(shown.quantity, shown.unit)


def _size_reading(measure: Measure, density: Density | None, system: UnitSystem) -> Measure:
    if system == "neutral" or UNITS[measure.unit].system == system:
        return measure
    converted, unit = convert(measure.quantity, measure.unit, system, density=density, package=True)
    return Measure(*package_reading(converted, unit))


def _counted_total(
    kind: Kind, parts: Sequence[ItemPart], size: str | None, system: UnitSystem
) -> MergedAmount:
    quantity = _exact(sum((_quantity(part) for part in parts), Decimal(0)))
    high = _exact(sum((part.top for part in parts), Decimal(0)))
    top = None if high == quantity else high
    style = _style(system)
    unit = _unit(parts[0].unit)
    if kind == "free":
        key, inflects = free_unit_key(parts[0].unit or "")
        label = key if not inflects or reads_as_one(high) else plural(key)
        return MergedAmount(
            kind, quantity, top, key, None, format_amount(quantity, top, label, style)
        )
    unit_key = unit.key if unit else None
    word = size if size and package_size(size) is None else None
    text = format_amount(quantity, top, unit_key, style, size=size)
    if word:  # a size word reads without brackets: "2 large eggs"
        text = text.replace(f"({word})", word, 1)
    return MergedAmount(kind, quantity, top, unit_key, size, text)


def reads_as_one(quantity: Decimal) -> bool:
    """Whether a count reads as one or less ("1", "½"), which takes the singular: "1 onion",
    "½ onion", "1½ onions"."""
    number = format_quantity(quantity, None, "us")  # without a unit, a count in any system
    return number == "1" or not any(character.isdigit() for character in number)
