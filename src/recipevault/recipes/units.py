"""Units of measure: the names recipes use for them, and conversion between metric and US.

Every spelling a recipe line may use ("Tbsp", "tablespoons", "T", "EL", "c.à.s") maps to one
canonical key, and that key is also the unit's name in pint, so a stored key converts without a
second table. Pint does the arithmetic (with Decimal magnitudes, so 3 tsp is exactly 1 tbsp);
this module decides which unit a cook wants to read afterwards.

Spellings from other languages are here so that imported non-English recipes keep their
quantities; they are a best effort, not a promise of full localisation.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from types import MappingProxyType
from typing import Literal

import pint

from recipevault.recipes.densities import Density

UnitSystem = Literal["metric", "us", "neutral"]
System = Literal["metric", "us"]
Dimension = Literal["mass", "volume", "count"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A canonical unit. ``package`` marks containers bought by size: "1 (14 oz) can"."""

    key: str
    singular: str
    plural: str
    system: UnitSystem
    dimension: Dimension
    aliases: tuple[str, ...] = ()
    package: bool = False

    def label(self, quantity: Decimal) -> str:
        """The display name for an amount: "½ cup", "1 cup", "1½ cups", "0 cups"."""
        return self.singular if 0 < quantity <= 1 else self.plural


def _aliases(spellings: str) -> tuple[str, ...]:
    return tuple(filter(None, spellings.split("|")))


def _metric(key: str, symbol: str, dimension: Dimension, aliases: str) -> Unit:
    return Unit(key, symbol, symbol, "metric", dimension, _aliases(aliases))


def _us(key: str, singular: str, plural: str, dimension: Dimension, aliases: str) -> Unit:
    return Unit(key, singular, plural, "us", dimension, _aliases(aliases))


def _neutral(key: str, plural: str, aliases: str = "", *, package: bool = False) -> Unit:
    return Unit(key, key, plural, "neutral", "count", _aliases(aliases), package)


# Aliases are "|"-separated; after the English ones come German, Scandinavian, French, Italian,
# Portuguese, Spanish, Hungarian and Russian spellings seen in imported recipes.
_VOCABULARY: tuple[Unit, ...] = (
    _metric("milligram", "mg", "mass", "milligrams|milligramme|milligrammes"),
    _metric(
        "gram",
        "g",
        "mass",
        "gr|grs|grams|gramme|grammes|gramm|gramas|gramos|grammi|г|гр",  # noqa: RUF001
    ),
    _metric("decagram", "dag", "mass", "decagrams|dekagram|dkg"),
    _metric(
        "kilogram", "kg", "mass", "kgs|kilo|kilos|kilograms|kilogramme|kilogrammes|quilo|quilos|кг"
    ),
    _metric("milliliter", "ml", "volume", "mls|milliliters|millilitre|millilitres|мл"),
    _metric("centiliter", "cl", "volume", "centiliters|centilitre|centilitres"),
    _metric("deciliter", "dl", "volume", "deciliters|decilitre|decilitres"),
    _metric("liter", "l", "volume", "lt|ltr|liters|litre|litres|litro|litros|л"),
    _us(
        "teaspoon",
        "tsp",
        "tsp",
        "volume",
        "teaspoons|tsps|tl|teelöffel|ts|tsk|c.à.c|c. à c.|cuillère à café|cuillères à café"
        "|cucchiaino|cucchiaini|colher de chá|colheres de chá|cucharadita|cucharaditas"
        "|teáskanál|ч.л|ч. л|ч л",
    ),
    _us(
        "tablespoon",
        "tbsp",
        "tbsp",
        "volume",
        "tablespoons|tbsps|tbs|tbl|tbls|el|esslöffel|ss|msk|spsk|c.à.s|c. à s."
        "|cuillère à soupe|cuillères à soupe|cucchiaio|cucchiai|colher de sopa"
        "|colheres de sopa|cucharada|cucharadas|evőkanál|ст.л|ст. л|ст л",
    ),
    _us("fluid_ounce", "fl oz", "fl oz", "volume", "fl. oz|fl.oz|floz|fluid ounce|fluid ounces"),
    _us("cup", "cup", "cups", "volume", "c|tasse|tasses|taza|tazas"),
    _us("pint", "pint", "pints", "volume", "pt|pts"),
    _us("quart", "quart", "quarts", "volume", "qt|qts"),
    _us("gallon", "gallon", "gallons", "volume", "gal|gals"),
    _us("ounce", "oz", "oz", "mass", "ounces"),
    _us("pound", "lb", "lb", "mass", "lbs|pounds"),
    _neutral("pinch", "pinches", "prise|prisen|pincée|pincées|pizzico|pizzichi"),
    _neutral("dash", "dashes"),
    _neutral("drop", "drops"),
    _neutral("splash", "splashes"),
    _neutral("handful", "handfuls", "näve"),
    _neutral("clove", "cloves", "gousse|gousses|dente|dentes"),
    _neutral("piece", "pieces", "pc|pcs|stk|st|stück|unité|unités|unidade|unidades|darab|шт"),
    _neutral("slice", "slices", "scheibe|scheiben"),
    _neutral("bunch", "bunches", "bund"),
    _neutral("sprig", "sprigs", "brin|brins"),
    _neutral("leaf", "leaves", "feuille|feuilles"),
    _neutral("head", "heads"),
    _neutral("stalk", "stalks", "rib|ribs"),
    _neutral("ear", "ears"),
    _neutral("bulb", "bulbs"),
    _neutral("slab", "slabs"),
    _neutral("thumb", "thumbs"),
    _neutral("knob", "knobs"),
    _neutral("cube", "cubes"),
    _neutral("sheet", "sheets"),
    _neutral("can", "cans", "tin|tins|lata|latas", package=True),
    _neutral("jar", "jars", package=True),
    _neutral("box", "boxes", package=True),
    _neutral(
        "package",
        "packages",
        "pkg|pkgs|pack|packs|packet|packets|sachet|sachets|envelope|envelopes|pouch|pouches"
        "|container|containers",
        package=True,
    ),
    _neutral("bag", "bags", package=True),
    _neutral("bottle", "bottles", package=True),
    _neutral("carton", "cartons", package=True),
    _neutral("tub", "tubs", package=True),
    _neutral("stick", "sticks", package=True),
)

UNITS: Mapping[str, Unit] = MappingProxyType({unit.key: unit for unit in _VOCABULARY})

# Single letters only mean a unit in one case: "1 T sugar" is a tablespoon, "1 t salt" a teaspoon.
_CASE_SENSITIVE: Mapping[str, str] = MappingProxyType({"T": "tablespoon", "t": "teaspoon"})


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def _alias_index(units: Iterable[Unit]) -> Mapping[str, str]:
    index: dict[str, str] = {}
    for unit in units:
        for alias in {unit.key, unit.singular, unit.plural, *unit.aliases}:
            folded = _fold(alias)
            if index.setdefault(folded, unit.key) != unit.key:
                raise ValueError(f"unit alias {alias!r} names two units")
    return MappingProxyType(index)


_ALIASES = _alias_index(_VOCABULARY)


def _alias_regex(alias: str) -> str:
    return r"\s+".join(re.escape(word) for word in alias.split())


# The regex alternation a parser uses to find a unit; longest first so "tbsp" beats "t".
UNIT_PATTERN = "|".join(
    [_alias_regex(alias) for alias in sorted(_ALIASES, key=len, reverse=True)]
    + [f"(?-i:{letter})" for letter in _CASE_SENSITIVE]
)


def unit_for(name: str) -> Unit | None:
    """The unit a spelling names ("Tbsp.", "tablespoons", "tablespoon"), or None."""
    name = name.strip()
    if name in _CASE_SENSITIVE:
        return UNITS[_CASE_SENSITIVE[name]]
    folded = _fold(name)
    key = _ALIASES.get(folded) or _ALIASES.get(folded.rstrip("."))
    return UNITS[key] if key else None


def tidy_decimal(value: Decimal, places: int = 4) -> Decimal:
    """Round half up to ``places`` decimals and drop trailing zeros, never into 1E+2 form."""
    if not value.is_finite():
        raise ValueError(f"not a finite quantity: {value}")
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + places + 2)
        rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
        return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded


# Conversion ------------------------------------------------------------------------------------

_BASE: Mapping[Dimension, str] = MappingProxyType({"mass": "gram", "volume": "milliliter"})
# Metric kitchens measure with the same 5 ml and 15 ml spoons; "4.93 ml" helps nobody.
_SPOONS = frozenset({"teaspoon", "tablespoon"})
# A US volume under this many millilitres reads as spoons to a metric cook too.
_METRIC_SPOON_BELOW = Decimal(15)


@functools.cache
def _registry() -> pint.UnitRegistry[Decimal]:
    # Building a registry parses pint's definition files (a few hundred ms): once, on first use.
    return pint.UnitRegistry(non_int_type=Decimal)


@functools.cache
def _factor(key: str) -> Decimal:
    """How many grams or millilitres one ``key`` is."""
    base = _BASE[UNITS[key].dimension]
    magnitude = _registry().Quantity(Decimal(1), key).to(base).magnitude
    return Decimal(magnitude).quantize(Decimal("1e-12"))


def base_amount(quantity: Decimal, unit: str) -> tuple[Decimal, Dimension]:
    """``quantity`` of a mass or volume ``unit`` (a canonical key) in grams or millilitres."""
    dimension = UNITS[unit].dimension
    if dimension == "count":
        raise ValueError(f"{unit} is not a measure")
    return quantity * _factor(unit), dimension


def metric_unit(amount: Decimal, dimension: Dimension) -> str:
    """The metric unit for ``amount`` grams or millilitres: kilograms and litres from 1000."""
    if dimension == "mass":
        return "gram" if tidy_decimal(amount) < 1000 else "kilogram"
    return "milliliter" if tidy_decimal(amount) < 1000 else "liter"


def _readable_unit(amount: Decimal, dimension: Dimension, system: System, *, package: bool) -> str:
    """The unit a cook expects for ``amount`` grams or millilitres (see ``convert``)."""
    if system == "metric":
        return metric_unit(amount, dimension)
    if dimension == "mass":
        return "ounce" if tidy_decimal(amount / _factor("ounce")) < 16 else "pound"
    if package:
        return "fluid_ounce"  # as US labels give a bottle's or a carton's size
    teaspoons = tidy_decimal(amount / _factor("teaspoon"))
    # From ¼ cup up cups read best; never "0.0625 cup" for a tablespoon.
    if teaspoons >= 12:
        return "cup"
    return "tablespoon" if teaspoons >= 3 else "teaspoon"


def _crossed(
    amount: Decimal, source: Unit, system: System, density: Density | None, *, package: bool
) -> tuple[Decimal, Dimension]:
    """The amount in the dimension a reader of ``system`` measures the food in."""
    dimension = source.dimension
    if density is None or source.system == system:
        return amount, dimension
    if system == "metric" and dimension == "volume":
        weighed = density.measured == "fat" or (
            density.measured == "dry" and source.key not in _SPOONS
        )
        return (amount * density.g_per_ml, "mass") if weighed else (amount, dimension)
    if system == "us" and dimension == "mass" and not package:
        return amount / density.g_per_ml, "volume"  # a package is sold by weight
    return amount, dimension


def convert(
    quantity: Decimal,
    unit: str,
    system: System,
    *,
    density: Density | None = None,
    package: bool = False,
) -> tuple[Decimal, str]:
    """Express ``quantity`` ``unit`` in ``system``, in the unit a cook would pick there.

    Volume stays volume and mass stays mass, unless a density is given and the unit comes from
    the other system: then grams become cups for a US reader, and a US volume becomes grams for
    a metric one when metric cooks weigh that food (fats always, dry goods from the cup up; see
    ``densities``). Counts, neutral and unknown units come back unchanged, as do teaspoons and
    tablespoons for metric readers; a US volume below a tablespoon becomes spoons for them too,
    not "7.4 ml". A ``package`` size ("a 15 oz can") is never spoons or cups: a US reader gets
    ounces or fluid ounces, a metric one grams or millilitres. Returns the amount (4 decimals,
    or 4 significant digits when smaller) and a canonical key; rounding for reading is the
    caller's (``rounding``).
    """
    if not quantity.is_finite() or quantity < 0:
        raise ValueError(f"cannot convert a quantity of {quantity}")
    source = unit_for(unit)
    if source is None or source.dimension == "count":
        return quantity, source.key if source else unit
    amount = quantity * _factor(source.key)
    amount, dimension = _crossed(amount, source, system, density, package=package)
    if system == "metric" and dimension == "volume" and not package:
        if source.key in _SPOONS:
            return quantity, source.key
        if source.system == "us" and 0 < amount < _METRIC_SPOON_BELOW:
            return _expressed(amount, _readable_unit(amount, dimension, "us", package=False))
    return _expressed(amount, _readable_unit(amount, dimension, system, package=package))


def _expressed(amount: Decimal, target: str) -> tuple[Decimal, str]:
    converted = amount / _factor(target)
    # 4 decimals, but at least 4 significant digits: a milligram is not 0 oz.
    places = 4 if converted == 0 else max(4, 3 - converted.adjusted())
    return tidy_decimal(converted, places), target
