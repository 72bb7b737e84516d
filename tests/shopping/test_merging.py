"""Merging a shopping list line's parts: the golden cases in data/merging_cases.json (each a
line's parts, its food and the reader's units, and the line a cook should read), merging in any
order, and the amounts a part refuses.

A part in the data is an ingredient line, read by the ingredient parser, or, for units the
parser does not know ("2 mugs"), the fields of an ``ItemPart``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recipevault.recipes.densities import density_for
from recipevault.recipes.ingredients import parse_ingredient
from recipevault.recipes.units import UnitSystem
from recipevault.shopping.amounts import ItemPart, amount_totals, free_unit_key
from recipevault.shopping.merging import Merged, food_key, merge

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "merging_cases.json").read_text(encoding="utf-8")
)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _part(given_part: str | dict[str, Any]) -> ItemPart:
    if isinstance(given_part, str):
        return ItemPart.from_ingredient(parse_ingredient(given_part))
    return ItemPart(
        text=given_part["text"],
        quantity=_decimal(given_part.get("quantity")),
        quantity_max=_decimal(given_part.get("quantity_max")),
        unit=given_part.get("unit"),
        size=given_part.get("size"),
        food=given_part.get("food"),
    )


def _merged(case: dict[str, Any]) -> Merged:
    return merge([_part(part) for part in case["parts"]], food=case["food"], system=case["system"])


def test_the_golden_cases_cover_what_must_merge_and_what_must_not() -> None:
    assert len(CASES) >= 40
    assert sum(not case["merges"] for case in CASES) >= 10
    assert {case["system"] for case in CASES} == {"metric", "us", "neutral"}
    for system in ("metric", "us", "neutral"):
        kept_apart = [case for case in CASES if case["system"] == system and not case["merges"]]
        assert len(kept_apart) >= 3, system
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_golden_case(case: dict[str, Any]) -> None:
    merged = _merged(case)
    expected = case["expected"]
    assert merged.text == expected["text"]
    assert merged.quantity == _decimal(expected["quantity"])
    assert merged.quantity_max == _decimal(expected["quantity_max"])
    assert merged.unit == expected["unit"]
    assert list(merged.amounts) == expected["amounts"]
    # A line merges when what has an amount ends up as one amount.
    assert (len(merged.totals) <= 1) == case["merges"]
    assert (merged.quantity is not None) == (len(merged.totals) == 1)
    assert (merged.amounts == ()) == (len(merged.totals) <= 1)


# The first merge of a run loads pint's unit definitions (a second or so): no deadline.
@settings(deadline=None)
@given(data=st.data())
def test_the_order_of_the_parts_changes_nothing(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(CASES))
    parts = [_part(part) for part in case["parts"]]
    shuffled = data.draw(st.permutations(parts))
    assert merge(shuffled, food=case["food"], system=case["system"]) == _merged(case)


_LINES = (
    "200 g flour",
    "0.5 kg flour",
    "1 cup flour",
    "1-2 cups flour",
    "2 tbsp flour",
    "1 tsp flour",
    "3 oz flour",
    "1 lb flour",
    "250 ml flour",
    "1 flour",
    "2-3 flour",
    "½ flour",
    "1 pinch flour",
    "2 handfuls flour",
    "1 (14 oz) can flour",
    "1 (400 g) can flour",
    "1 can flour",
    "2 large flour",
    "flour to taste",
)
_FREE_UNITS = ("mug", "mugs", "cm", "glass", "glasses")


@st.composite
def _parts(draw: st.DrawFn) -> ItemPart:
    """A part as the parser reads a line, or one with a unit the vocabulary does not know."""
    if draw(st.booleans()):
        return ItemPart.from_ingredient(parse_ingredient(draw(st.sampled_from(_LINES))))
    quantity = Decimal(draw(st.integers(1, 4000))) / draw(st.sampled_from([1, 2, 3, 4, 8, 100]))
    return ItemPart(
        text="as typed",
        quantity=quantity.quantize(Decimal("0.0001")),
        unit=draw(st.sampled_from(_FREE_UNITS)),
        food="flour",
    )


_SYSTEMS: tuple[UnitSystem, ...] = ("metric", "us", "neutral")


@settings(deadline=None)
@given(
    parts=st.lists(_parts(), min_size=1, max_size=8),
    food=st.sampled_from(["flour", "breadcrumbs", "milk", None]),
    system=st.sampled_from(_SYSTEMS),
    data=st.data(),
)
def test_any_parts_in_any_order_merge_alike(
    parts: list[ItemPart], food: str | None, system: UnitSystem, data: st.DataObject
) -> None:
    merged = merge(parts, food=food, system=system)
    shuffled = data.draw(st.permutations(parts))
    assert merge(shuffled, food=food, system=system) == merged
    # The sums themselves, not only the order ``merge`` sorts the parts in.
    density = density_for(merged.food) if merged.food else None
    assert amount_totals(shuffled, density=density, system=system) == amount_totals(
        parts, density=density, system=system
    )
    amounts = [
        value
        for total in merged.totals
        for value in (total.quantity, total.quantity_max)
        if value is not None
    ]
    assert all(type(value) is Decimal and value > 0 for value in amounts)
    # Readable numbers: never a long decimal such as "0.3333 cup".
    assert not re.search(r"\d\.\d{3}", merged.text)
    assert merged.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": Decimal(0)}, "positive"),
        ({"quantity": Decimal(-1)}, "positive"),
        ({"quantity": Decimal("NaN")}, "positive"),
        ({"quantity": Decimal("Infinity")}, "positive"),
        ({"quantity": Decimal("1e16")}, "positive"),
        ({"quantity": Decimal(2), "quantity_max": Decimal(2)}, "range"),
        ({"quantity": Decimal(2), "quantity_max": Decimal(1)}, "range"),
        ({"quantity": Decimal(2), "quantity_max": Decimal("Infinity")}, "range"),
        ({"quantity": Decimal(2), "quantity_max": Decimal("1e16")}, "range"),
        ({"unit": "gram"}, "without a quantity"),
        ({"quantity_max": Decimal(3)}, "without a quantity"),
        ({"size": "14 oz"}, "without a quantity"),
    ],
)
def test_a_part_refuses_an_amount_that_is_not_one(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ItemPart(text="flour", food="flour", **fields)


def test_a_line_needs_a_part() -> None:
    with pytest.raises(ValueError, match="at least one part"):
        merge([], food="flour", system="metric")


def test_a_parsed_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        ItemPart.from_ingredient(parse_ingredient("0 g flour"))


@pytest.mark.parametrize(
    ("first", "second"),
    [("onion", "Onions"), ("Tomatoes", "tomato"), ("  red  onions ", "Red Onion")],
)
def test_one_food_under_spellings(first: str, second: str) -> None:
    assert food_key(first) == food_key(second)


@pytest.mark.parametrize(("first", "second"), [("onion", "red onion"), ("rice", "rice vinegar")])
def test_different_foods(first: str, second: str) -> None:
    assert food_key(first) != food_key(second)


@pytest.mark.parametrize(
    ("unit", "key", "inflects"),
    [("mugs", "mug", True), ("Mug", "mug", True), ("glasses", "glass", True), ("cm", "cm", False)],
)
def test_free_text_units_fold_only_plurals_that_read_back(
    unit: str, key: str, inflects: bool
) -> None:
    assert free_unit_key(unit) == (key, inflects)


def test_the_same_part_twice_counts_twice() -> None:
    part = ItemPart.from_ingredient(parse_ingredient("1 cup milk"))
    assert merge([part, part], food="milk", system="us").text == "2 cups milk"


def test_every_food_of_the_ingredient_corpus_merges_readably() -> None:
    """The ingredient lines of saved recipe pages, grouped by food as a list groups them, merge
    for every reader without an error, a long decimal or a lost amount."""
    corpus = json.loads(
        (Path(__file__).parent.parent / "recipes" / "data" / "ingredient_lines.json").read_text(
            encoding="utf-8"
        )
    )
    foods: dict[str, list[ItemPart]] = {}
    for line in corpus:
        parsed = parse_ingredient(line["text"])
        if parsed.food:
            foods.setdefault(food_key(parsed.food), []).append(ItemPart.from_ingredient(parsed))
    several = {food: parts for food, parts in foods.items() if len(parts) > 1}
    assert len(several) >= 40
    for parts in several.values():
        for system in _SYSTEMS:
            merged = merge(parts, food=None, system=system)
            assert not re.search(r"\d\.\d{3}", merged.text), merged.text
            assert merged.food is not None
            assert merged.food in merged.text
            measured = [part for part in parts if part.quantity is not None]
            assert bool(merged.totals) == bool(measured)
            assert merged.unmeasured == (len(measured) < len(parts))


@pytest.mark.parametrize("unit", [None, "mugs", "clove"])
def test_a_tiny_count_is_never_none(unit: str | None) -> None:
    part = ItemPart(text="a speck", quantity=Decimal("0.00001"), unit=unit, food="egg")
    merged = merge([part, part], food="egg", system="metric")
    assert merged.quantity == Decimal("0.00002")
    assert not re.match(r"0 ", merged.text), merged.text


@pytest.mark.parametrize(
    ("food", "quantity", "text"),
    [
        ("tomato", "2", "2 tomatoes"),
        ("tomatoes", "1", "1 tomato"),
        ("bay leaf", "2", "2 bay leaves"),
        ("Onion", "3", "3 Onions"),
        ("ONION", "3", "3 ONION"),
        ("lemon", "0.5", "½ lemon"),
        ("lemons", "1.5", "1½ lemons"),
    ],
)
def test_a_counted_food_agrees_with_its_number(food: str, quantity: str, text: str) -> None:
    part = ItemPart(text=f"{quantity} {food}", quantity=Decimal(quantity), food=food)
    assert merge([part], food=food, system="neutral").text == text
