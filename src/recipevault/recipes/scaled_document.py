"""Scaled and converted views of a stored recipe document. Pure: dict in, dict out.

Every view is computed from the stored amounts, never from another view, so scaling by 3 and
back gives the recipe as it was; rounding for reading happens last (see ``rounding``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from recipevault.recipes.densities import density_for
from recipevault.recipes.ingredients import package_size
from recipevault.recipes.rounding import package_reading
from recipevault.recipes.scaling import format_amount, format_package_size, scale_quantity
from recipevault.recipes.units import UNITS, convert, unit_for

System = Literal["metric", "us"]


def _decimal(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _system_of(unit: str | None) -> System | None:
    known = unit_for(unit) if unit else None
    if known is None or known.system == "neutral":
        return None
    return "metric" if known.system == "metric" else "us"


def package_of(
    line: dict[str, Any], system: System | None
) -> tuple[str | None, dict[str, Any] | None]:
    """How much one package of the line holds, as text for its amount and as a field: as
    written, or converted for a reader of the other system and rounded as products are sized."""
    measure = package_size(line.get("size"))
    if measure is None:
        return None, None
    if system is None or UNITS[measure.unit].system == system:
        return line["size"], {"quantity": _number(measure.quantity), "unit": measure.unit}
    food = line.get("food")
    density = density_for(food) if food else None
    converted, unit = convert(measure.quantity, measure.unit, system, density=density, package=True)
    quantity, unit = package_reading(converted, unit)
    return format_package_size(quantity, unit), {"quantity": _number(quantity), "unit": unit}


def _line(line: dict[str, Any], factor: Decimal, system: System | None) -> dict[str, Any]:
    quantity, top, unit = _decimal(line["quantity"]), _decimal(line["quantity_max"]), line["unit"]
    size, package = package_of(line, system)
    if quantity is None or (factor == 1 and system is None):
        return {**line, "package": package}
    quantity = scale_quantity(quantity, factor)
    top = None if top is None else scale_quantity(top, factor)
    # Scaled in its own system, an amount may read better in another unit (16 oz is 1 lb).
    reader = system or _system_of(unit)
    if reader is not None and unit:
        density = density_for(line["food"]) if line["food"] else None
        converted, new_unit = convert(quantity, unit, reader, density=density)
        if top is not None and quantity:
            # The top of a range follows the bottom into its unit, so a range stays in one unit.
            top = (top * converted / quantity).quantize(Decimal("0.0001"))
        quantity, unit = converted, new_unit
    shown = system or _system_of(unit) or "metric"
    return {
        **line,
        "quantity": _number(quantity),
        "quantity_max": _number(top),
        "unit": unit,
        "package": package,
        "display": format_amount(quantity, top, unit, shown, computed=True, size=size),
    }


def present(
    document: dict[str, Any],
    *,
    factor: Decimal = Decimal(1),
    servings: Decimal | None = None,
    system: System | None = None,
) -> dict[str, Any]:
    """The recipe scaled by ``factor`` (or to ``servings``) and converted to ``system``."""
    if servings is not None:
        current = _decimal(document["servings"])
        if current is None:
            raise ValueError("the recipe does not say how many it serves")
        factor = servings / current
    result = {
        **document,
        "ingredients": [_line(line, factor, system) for line in document["ingredients"]],
        "units": system or document.get("units", "original"),
    }
    if document["servings"] is not None:
        result["servings"] = _number(scale_quantity(Decimal(str(document["servings"])), factor))
    return result
