"""Input schemas document what their validation accepts, and accept what they document."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, get_args, get_origin

import pytest
from pydantic import Field, ValidationError

from recipevault.accounts.schemas import normalize_email
from recipevault.http.schemas import API_FORM, FORM, NO_NUL, NOT_BLANK, WEB_FORM, Flag, InputModel
from recipevault.recipes.schemas import IngredientIn, RecipeCreate


class Probe(InputModel):
    name: str = Field(min_length=1, max_length=10)
    words: list[str] = Field(default_factory=list)
    code: str | None = Field(default=None, max_length=3)
    amount: Decimal | None = Field(default=None, gt=0, le=5)
    done: Flag = False


def test_a_required_text_must_not_be_blank_and_the_schema_says_so() -> None:
    schema = Probe.model_json_schema()
    assert schema["properties"]["name"]["pattern"] == NOT_BLANK
    for blank in ("   ", "\u3000\t", "\x85"):
        assert not re.search(NOT_BLANK, blank)
        with pytest.raises(ValidationError):
            Probe.model_validate({"name": blank})
    # Python's \s takes \x1c, which trimming keeps: the text is not blank.
    assert re.search(NOT_BLANK, "\x1c")
    assert Probe.model_validate({"name": "\x1c"}).name == "\x1c"
    assert Probe.model_validate({"name": "  pie  "}).name == "pie"


def test_text_may_not_hold_nul_and_the_schema_says_so() -> None:
    schema = Probe.model_json_schema()
    assert schema["properties"]["words"]["items"]["pattern"] == NO_NUL
    assert not re.search(NOT_BLANK, "pie\x00")
    with pytest.raises(ValidationError):
        Probe.model_validate({"name": "pie", "words": ["a\x00b"]})


def test_a_yes_or_no_is_no_number() -> None:
    with pytest.raises(ValidationError) as refused:
        Probe.model_validate({"name": "x", "amount": True})
    assert refused.value.errors()[0]["type"] == "number_type"


def test_a_length_limit_holds_for_the_text_as_sent() -> None:
    padded = " " * 5 + "abcde" + " " * 5
    with pytest.raises(ValidationError) as refused:
        Probe.model_validate({"name": padded, "code": "abcd", "amount": "7"})
    errors = {error["loc"]: error["type"] for error in refused.value.errors()}
    # Every problem is reported, not only the first length found.
    assert errors == {
        ("name",): "string_too_long",
        ("code",): "string_too_long",
        ("amount",): "less_than_equal",
    }


def test_decimals_are_documented_as_numbers() -> None:
    # pydantic offers any text besides, which its bounds do not hold for.
    choices = Probe.model_json_schema()["properties"]["amount"]["anyOf"]
    assert [choice["type"] for choice in choices] == ["number", "null"]
    assert Probe.model_validate({"name": "x", "amount": "2.5"}).amount == Decimal("2.5")


def test_a_json_boolean_is_true_or_false() -> None:
    for value in (0, 1, "yes", "true"):
        with pytest.raises(ValidationError):
            Probe.model_validate({"name": "x", "done": value})
    assert Probe.model_validate({"name": "x", "done": True}).done is True


def _loose_booleans(annotation: object) -> bool:
    """Whether ``annotation`` takes a bool anywhere without ``Flag``'s refusal of 0 and 1."""
    if annotation is bool:
        return True
    if get_origin(annotation) is Annotated and get_args(annotation)[0] is bool:
        return annotation != Flag
    return any(_loose_booleans(arg) for arg in get_args(annotation))


def _input_models() -> Iterator[type[InputModel]]:
    found = list(InputModel.__subclasses__())
    while found:
        model = found.pop()
        found.extend(model.__subclasses__())
        yield model


def test_every_request_takes_a_yes_or_no_as_a_json_boolean() -> None:
    importlib.import_module("recipevault.main")  # every feature's schemas are loaded
    loose = [
        f"{model.__module__}.{model.__qualname__}.{name}"
        for model in _input_models()
        if model.__module__.startswith("recipevault.")  # not the tests' own probes
        for name, field in model.model_fields.items()
        if _loose_booleans(field.rebuild_annotation())
    ]
    assert loose == []


def test_forms_send_booleans_as_text_of_their_kind() -> None:
    checked = Probe.model_validate({"name": "x", "done": "on"}, context={FORM: WEB_FORM})
    assert checked.done is True
    assert Probe.model_validate({"name": "x", "done": "true"}, context={FORM: API_FORM}).done
    with pytest.raises(ValidationError):
        Probe.model_validate({"name": "x", "done": "0"}, context={FORM: API_FORM})


def test_quantities_are_rounded_to_what_is_kept() -> None:
    line = IngredientIn.model_validate({"food": "flour", "quantity": 1 / 3})
    assert line.quantity == Decimal("0.3333")
    recipe = RecipeCreate.model_validate({"title": "Cake", "servings": 2.0004})
    assert recipe.servings == Decimal("2.000")
    with pytest.raises(ValidationError):
        RecipeCreate.model_validate({"title": "Cake", "servings": 0.0001})


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("Me@Home.Arpa", "me@home.arpa"),
        ("cook@my-nas.local", "cook@my-nas.local"),
        ("root@localhost", "root@localhost"),
        ("Chef@Example.ORG", "chef@example.org"),
    ],
)
def test_addresses_on_a_households_own_network_are_taken(given: str, kept: str) -> None:
    assert normalize_email(given) == kept


@pytest.mark.parametrize("given", ["a b@home.arpa", "me@-x.local", "no-at-sign", "me@@x.test"])
def test_malformed_addresses_are_refused_wherever_they_point(given: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        normalize_email(given)


def test_a_text_too_long_is_reported_beside_every_other_problem() -> None:
    with pytest.raises(ValidationError) as refused:
        Probe.model_validate({"name": "x" * 11, "done": 0, "words": ["fine"], "code": "x"})
    errors = {error["loc"]: (error["type"], error["msg"]) for error in refused.value.errors()}
    assert errors == {
        ("name",): ("string_too_long", "String should have at most 10 characters"),
        ("done",): ("bool_type", "Input should be true or false"),
    }


def test_a_quantity_with_few_places_keeps_them() -> None:
    line = IngredientIn.model_validate({"food": "flour", "quantity": "2.5"})
    assert str(line.quantity) == "2.5"
