"""How much a cup of a food weighs, and how a metric cook measures that food.

A US recipe measures by volume ("½ cup butter"); a metric cook weighs solids and pours liquids.
Converting between the two needs the food's density, and a rule for which way the metric cook
goes. Each food here has both:

- ``fat`` (butter, margarine, lard, shortening, ghee, coconut oil): weighed, even by the spoon.
  "2 tbsp butter" is 28 g to a metric cook: butter comes in blocks marked in grams.
- ``dry`` (flour, sugar, rice, oats ...): weighed by the cup, but spoons stay spoons ("1 tbsp
  sugar" is how metric recipes write it too).
- ``liquid`` (water, milk, stock, oil, honey ...): poured, so it stays a volume (ml) for a metric
  reader; the density is only used the other way, to turn grams of it into cups.

Values are grams per millilitre, from the weight of one US cup (236.6 ml) in the USDA National
Nutrient Database for Standard Reference (SR Legacy, now part of FoodData Central), "household
measure" weights: butter and margarine 227 g, lard, shortening and butter oil (ghee) 205 g,
coconut oil 218 g, vegetable oils 216-218 g, whole milk 244 g, honey 339 g, granulated sugar
200 g, brown sugar (packed) 220 g, powdered sugar 120 g. Flours use the spoon-and-level cup weights
bakers publish (King Arthur Baking's ingredient weight chart: all-purpose flour 120-125 g), which
are lighter than a scooped cup. Approximate by nature: how flour is scooped changes it by 10 %.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

Measured = Literal["fat", "dry", "liquid"]


@dataclass(frozen=True, slots=True)
class Density:
    """Grams per millilitre, and how a metric cook measures the food (see the module)."""

    g_per_ml: Decimal
    measured: Measured

    def __post_init__(self) -> None:
        if not (self.g_per_ml.is_finite() and self.g_per_ml > 0):
            raise ValueError(f"a density must be positive, not {self.g_per_ml}")


def _table(measured: Measured, values: dict[str, str]) -> dict[str, Density]:
    return {food: Density(Decimal(value), measured) for food, value in values.items()}


_DENSITIES: Mapping[str, Density] = MappingProxyType(
    _table(
        "fat",
        {
            "butter": "0.96",
            "margarine": "0.96",
            "lard": "0.87",
            "shortening": "0.87",
            "ghee": "0.87",
            "clarified butter": "0.87",
            "coconut oil": "0.92",
        },
    )
    | _table(
        "dry",
        {
            "flour": "0.53",
            "bread flour": "0.54",
            "whole wheat flour": "0.51",
            "almond flour": "0.40",
            "sugar": "0.85",
            "brown sugar": "0.93",
            "powdered sugar": "0.51",
            "confectioners sugar": "0.51",
            "icing sugar": "0.51",
            "peanut butter": "1.08",
            "yogurt": "1.03",
            "rice": "0.85",
            "salt": "1.22",
            "kosher salt": "0.60",  # brands differ by half; this is between them
            "cocoa powder": "0.42",
            "cornstarch": "0.54",
            "oats": "0.38",
            "chocolate chips": "0.72",
        },
    )
    | _table(
        "liquid",
        {
            "water": "1.00",
            "stock": "1.00",
            "broth": "1.00",
            "milk": "1.03",
            "buttermilk": "1.03",
            "cream": "1.00",
            "oil": "0.92",
            "honey": "1.42",
            "maple syrup": "1.32",
            "molasses": "1.40",
        },
    )
)
_NOT_A_WORD = re.compile(r"[^\w\s]|_")


def density_for(food: str) -> Density | None:
    """The approximate density of a food, or None when it is not in the table.

    The table entry must end the food's name, so "light brown sugar" is brown sugar and
    "all-purpose flour" is flour, while "rice vinegar" is not rice and "butternut squash" is not
    butter. The longest entry wins: "peanut butter" is not butter, "coconut oil" is not oil.
    """
    words = _NOT_A_WORD.sub("", food.casefold().replace("-", " ")).split()
    name = " ".join(words)
    for key in sorted(_DENSITIES, key=len, reverse=True):
        if name == key or name.endswith(" " + key):
            return _DENSITIES[key]
    return None
