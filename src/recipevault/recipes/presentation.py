"""Scaled and converted views of a stored recipe document. Pure: dict in, dict out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from recipevault.recipes.scaling import format_amount, scale_quantity
from recipevault.recipes.units import convert, density_for, unit_for

System = Literal["metric", "us"]


def _decimal(value: float | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _system_of(unit: str | None, fallback: System) -> System:
    known = unit_for(unit) if unit else None
    return known.system if known and known.system in ("metric", "us") else fallback


def _line(line: dict[str, Any], factor: Decimal, system: System | None) -> dict[str, Any]:
    quantity, top, unit = _decimal(line["quantity"]), _decimal(line["quantity_max"]), line["unit"]
    if quantity is None:
        return line
    quantity = scale_quantity(quantity, factor)
    top = None if top is None else scale_quantity(top, factor)
    if system is not None and unit:
        density = density_for(line["food"]) if line["food"] else None
        converted, new_unit = convert(quantity, unit, system, density_g_per_ml=density)
        if top is not None and quantity:
            # The top of a range follows the bottom into its unit, so a range stays in one unit.
            top = (top * converted / quantity).quantize(Decimal("0.0001"))
        quantity, unit = converted, new_unit
    shown = system or _system_of(unit, "metric")
    return {
        **line,
        "quantity": _number(quantity),
        "quantity_max": _number(top),
        "unit": unit,
        "display": format_amount(quantity, top, unit, shown),
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
