"""Forms validated with Pydantic schemas: a model, or a message per field and the input kept."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, model_validator
from starlette.datastructures import FormData

from recipevault.accounts.schemas import ApiTokenForm, UserCreate
from recipevault.http.schemas import InputModel
from recipevault.web.forms import FORM_ERROR, Form, blank_form, validate_form


class Probe(InputModel):
    name: str = Field(min_length=1, max_length=10)
    code: str = Field(default="x", min_length=3)
    count: int = 1
    tags: list[str] = Field(default_factory=lambda: ["default"])
    colour: Literal["red", "blue"] | None = None
    public: bool = True


def _form(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def test_valid_form_gives_the_model_and_ignores_other_inputs() -> None:
    form = validate_form(
        Probe,
        _form(("csrf_token", "abc"), ("name", "  Soup "), ("count", "3"), ("public", "on")),
    )
    assert form.ok
    assert form.data == Probe(name="Soup", count=3, public=True)
    assert "csrf_token" not in form.values
    assert form.errors == {}


def test_blank_required_field_is_required_and_the_input_is_kept() -> None:
    form = validate_form(Probe, _form(("name", ""), ("count", "7")))
    assert not form.ok
    assert form.data is None
    assert form.error("name") == "This field is required."
    assert form.value("count") == "7"


def test_spaces_alone_are_blank() -> None:
    form = validate_form(Probe, _form(("name", "   ")))
    assert form.error("name") == "This field is required."


def test_missing_required_field_is_required() -> None:
    form = validate_form(Probe, _form())
    assert form.errors == {"name": "This field is required."}


def test_blank_optional_fields_keep_their_defaults() -> None:
    form = validate_form(Probe, _form(("name", "a"), ("code", ""), ("colour", "")))
    assert form.data is not None
    assert form.data.code == "x"
    assert form.data.colour is None


def test_messages_are_written_for_people() -> None:
    form = validate_form(
        Probe,
        _form(("name", "x" * 11), ("code", "ab"), ("count", "many"), ("colour", "green")),
    )
    assert form.errors == {
        "name": "Use at most 10 characters.",
        "code": "Use at least 3 characters.",
        "count": "Enter a whole number.",
        "colour": "Choose one of the options.",
    }


def test_list_fields_take_every_value() -> None:
    form = validate_form(Probe, _form(("name", "a"), ("tags", "one"), ("tags", "two")))
    assert form.data is not None
    assert form.data.tags == ["one", "two"]
    assert form.selected("tags") == ["one", "two"]
    assert form.value("tags") == "one"


def test_absent_list_field_keeps_its_default() -> None:
    form = validate_form(Probe, _form(("name", "a")))
    assert form.data is not None
    assert form.data.tags == ["default"]


def test_unchecked_checkbox_is_false() -> None:
    form = validate_form(Probe, _form(("name", "a")))
    assert form.data is not None
    assert form.data.public is False


def test_errors_inside_a_list_belong_to_the_list_field() -> None:
    form = validate_form(ApiTokenForm, _form(("name", "t"), ("scopes", "admin")))
    assert form.errors == {"scopes": "Choose one of the options."}


def test_email_errors_come_from_the_validator() -> None:
    form = validate_form(
        UserCreate,
        _form(("email", "not-an-address"), ("password", "whatever"), ("display_name", "A")),
    )
    message = form.error("email")
    assert message is not None
    assert "@" in message
    assert message.endswith(".")


class Range(InputModel):
    low: int
    high: int

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError("the low end must not be above the high end")
        return self


def test_errors_about_the_whole_form_use_the_form_key() -> None:
    form = validate_form(Range, _form(("low", "5"), ("high", "1")))
    assert form.errors == {FORM_ERROR: "The low end must not be above the high end."}


def test_with_error_adds_a_refusal_from_the_service() -> None:
    form = validate_form(Probe, _form(("name", "Soup")))
    refused = form.with_error("name", "Already taken.")
    assert refused.data is None
    assert not refused.ok
    assert refused.error("name") == "Already taken."
    assert refused.value("name") == "Soup"
    assert form.ok  # the original is unchanged


@pytest.mark.parametrize(
    ("values", "expected"), [({}, ""), ({"name": "Ann"}, "Ann"), ({"tags": []}, "")]
)
def test_blank_form_values(values: dict[str, str], expected: str) -> None:
    form: Form[Probe] = blank_form(values)
    assert form.value("name") == expected
    assert form.errors == {}
    assert not form.ok
