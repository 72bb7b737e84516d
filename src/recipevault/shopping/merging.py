"""Merging the parts of a shopping list line the way a cook would. Pure: no database, no I/O.

A line holds one food; its parts come from recipes, plan entries and what people typed
(``amounts.ItemPart``). ``merge`` adds up what adds up (see ``amounts`` for which amounts do)
and writes the line as a person reads it in their unit preference: "700 g flour", "4 tsp salt",
"3 onions", "200 g + 1 cup breadcrumbs", "1 onion + 200 g".

``merge`` is a function of the set of parts alone: the same parts in any order give the same
line, so a line is recomputed from the parts that remain when a recipe leaves the list.
``food_key`` says which items are the same food; grouping items into lines is the caller's.
The rules, with examples, are in docs/shopping.md.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from recipevault.recipes.densities import Density, density_for
from recipevault.recipes.units import UnitSystem
from recipevault.recipes.vocabulary.resolving import display_name, plural, singular, term_key
from recipevault.shopping.amounts import ItemPart, MergedAmount, amount_totals, reads_as_one

_MORE = "more"  # what a part without a quantity adds to a line that has amounts


@dataclass(frozen=True, slots=True)
class Merged:
    """A list line merged from its parts.

    - ``totals``: one per kind of amount that cannot be added to the others, in reading order.
    - ``quantity``/``quantity_max``/``unit``/``size``: the one total when there is exactly one,
      else None; ``quantity`` is exact in ``unit`` (4 decimals, or 4 significant digits when
      smaller); rounding is for ``text`` only.
    - ``amounts``: the readable totals ("200 g", "1 cup") when there are several, else empty.
      A bare count reads without its food ("1"), as the line's food is known.
    - ``unmeasured``: some part had no quantity ("salt to taste"). Beside amounts, the text
      says so with "+ more": "1 tsp salt + more"; alone, the text is just the food: "salt".
    - ``text``: the line as a person reads it: "700 g flour", "1 onion + 200 g".
    """

    food: str | None
    totals: tuple[MergedAmount, ...]
    quantity: Decimal | None
    quantity_max: Decimal | None
    unit: str | None
    size: str | None
    amounts: tuple[str, ...]
    unmeasured: bool
    text: str


def food_key(name: str) -> str:
    """What makes two items the same food: case, spacing and plural folded, as the recipes'
    food vocabulary folds them ("Onions" and "onion" are "onion")."""
    return singular(term_key(name))


def merge(parts: Iterable[ItemPart], *, food: str | None, system: UnitSystem) -> Merged:
    """Merge a line's parts for a reader of ``system`` ("neutral" keeps units as written).

    ``food`` is the line's food as shown, and decides the density that lets masses and volumes
    add up; None takes it from the parts. Raises ``ValueError`` for no parts at all (a part
    refuses a zero, negative or malformed amount when it is made).
    """
    ordered = tuple(sorted(parts, key=_order))
    if not ordered:
        raise ValueError("a line needs at least one part")
    return _merged(ordered, food, system)


# A line is merged again for every reader of every list page; the result depends on the parts
# alone and cannot be changed, so the lines read most recently are kept (a few hundred bytes
# each). Equal parts give equal results, whichever was cached first.
@functools.lru_cache(maxsize=8192)
def _merged(parts: tuple[ItemPart, ...], food: str | None, system: UnitSystem) -> Merged:
    name = _food_name(food, parts)
    density = _density(name) if name else None
    totals = amount_totals(parts, density=density, system=system)
    unmeasured = any(part.quantity is None for part in parts)
    one = totals[0] if len(totals) == 1 else None
    return Merged(
        food=name,
        totals=totals,
        quantity=one.quantity if one else None,
        quantity_max=one.quantity_max if one else None,
        unit=one.unit if one else None,
        size=one.size if one else None,
        amounts=tuple(total.text for total in totals) if len(totals) > 1 else (),
        unmeasured=unmeasured,
        text=_text(totals, name, unmeasured=unmeasured) or _fallback(parts),
    )


@functools.lru_cache(maxsize=1024)
def _density(food: str) -> Density | None:
    return density_for(food) or density_for(food_key(food))


def _order(part: ItemPart) -> tuple[str, ...]:
    """A total order on parts, so that which part comes first never depends on the caller."""
    fields = (part.text, part.quantity, part.quantity_max, part.unit, part.size, part.food)
    return tuple("" if value is None else str(value) for value in fields)


def _food_name(food: str | None, parts: Sequence[ItemPart]) -> str | None:
    if food and food.strip():
        return display_name(food)
    # The first food in order, written in lower case where some part writes it so.
    names = sorted(
        (food_key(part.food), not part.food.islower(), display_name(part.food))
        for part in parts
        if part.food and part.food.strip()
    )
    return names[0][2] if names else None


def _text(totals: tuple[MergedAmount, ...], food: str | None, *, unmeasured: bool) -> str:
    pieces = [
        f"{total.text} {_inflected(food, one=reads_as_one(total.quantity_max or total.quantity))}"
        if total.kind == "number" and food
        else total.text
        for total in totals
    ]
    text = " + ".join(pieces)
    if food and not any(total.kind == "number" for total in totals):
        text = f"{text} {food}".strip()
    if unmeasured and totals:
        text = f"{text} + {_MORE}"
    return text


def _fallback(parts: Sequence[ItemPart]) -> str:
    """A line with no food and no amount reads as one of its parts was written."""
    return next((display_name(part.text) for part in parts if part.text.strip()), "")


def _inflected(food: str, *, one: bool) -> str:
    """The food agreeing with a count: "1 onion", "3 onions". Only the last word changes, and
    only when it is written in lower case or capitalised; anything else stays as written."""
    head, space, last = food.rpartition(" ")
    lower = last.casefold()
    word = singular(lower) if one else plural(singular(lower))
    if last != lower:
        word = word.capitalize() if last == lower.capitalize() else last
    return f"{head}{space}{word}"
