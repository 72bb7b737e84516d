from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from recipevault.importing.formats.common import amount, describe_validation_error, term_names
from recipevault.importing.formats.freetext import parse_minutes, parse_yield, tidy_decimal
from recipevault.recipes.schemas import RecipeCreate


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        ("1 hr 20 mins", 80),
        ("1 hour 20 minutes", 80),
        ("1 Hour 30 Minutes", 90),
        ("15 mins", 15),
        ("90 min.", 90),
        ("1h20", 80),
        ("1h20m", 80),
        ("1:20", 80),
        ("20", 20),
        ("PT20M", 20),
        ("PT1H30M", 90),
        ("pt1h", 60),
        ("P1DT2H", 1560),
        ("PT20M30S", 21),
        ("PT45S", 1),
        ("1½ hours", 90),
        ("1 1/2 hours", 90),
        ("1.5 hours", 90),
        ("45-60 minutes", 60),
        ("10 to 15 min", 15),
        ("about 45 minutes", 45),
        ("1 Std. 30 Min.", 90),
        ("2 days", 2880),
        (25, 25),
        (2.5, 3),
        ("", None),
        ("PT", None),
        ("PT0S", None),
        ("0", None),
        ("overnight", None),
        ("2 servings", None),
        ("9999 days", None),
        (True, None),
        (None, None),
        (["20"], None),
    ],
)
def test_durations(value: object, minutes: int | None) -> None:
    assert parse_minutes(value) == minutes


@pytest.mark.parametrize(
    ("value", "servings", "text"),
    [
        ("4", Decimal(4), None),
        (4, Decimal(4), None),
        ("2.5", Decimal("2.5"), None),
        ("4 servings", Decimal(4), None),
        ("Serves 4", Decimal(4), None),
        ("Serves: 4", Decimal(4), None),
        ("4 Portionen", Decimal(4), None),
        ("Serves 4-6", Decimal(4), "Serves 4-6"),
        ("12 cookies", None, "12 cookies"),
        ("1 loaf", None, "1 loaf"),
        ("a crowd", None, "a crowd"),
        ("0", None, "0"),
        (0, None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_yields(value: object, servings: Decimal | None, text: str | None) -> None:
    assert parse_yield(value) == (servings, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.333333, Decimal("0.3333")),
        ("1.5000", Decimal("1.5")),
        ("500.000", Decimal(500)),
        ("1,5", Decimal("1.5")),
        (0, None),
        (-1, None),
        ("a pinch", None),
        ("NaN", None),
        (2_000_000, None),
        (0.00001, None),
        (True, None),
    ],
)
def test_ingredient_amounts(value: object, expected: Decimal | None) -> None:
    assert amount(value) == expected


def test_decimals_are_tidied_without_exponents() -> None:
    assert str(tidy_decimal(Decimal("100.000"), 3)) == "100"
    assert str(tidy_decimal(Decimal("0.12345"), 4)) == "0.1235"


def test_term_names_keep_the_first_spelling_of_each() -> None:
    assert term_names([{"name": "Bread"}, "bread", {"name": " "}, 3, "Soup"]) == ["Bread", "Soup"]
    assert term_names("a, b,,c") == ["a", "b", "c"]
    assert term_names(None) == []


def test_validation_errors_read_as_short_phrases() -> None:
    data: dict[str, Any] = {"ingredients": [{"text": "x"}, {"section": "y"}]}
    data |= {"steps": [{"text": ""}]}
    data |= {"tags": ["t"] * 51, "rating": 9}
    with pytest.raises(ValidationError) as caught:
        RecipeCreate.model_validate(data)
    assert describe_validation_error(caught.value) == (
        "rating: input should be less than or equal to 5; tags: 51 given, at most 50 allowed; "
        "ingredient 2: give the line's text, or at least its food (and 2 more problems)"
    )
