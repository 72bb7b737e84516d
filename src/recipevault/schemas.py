"""Base classes for API schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails

# Text with at least one character that is not white space (patterns match anywhere).
NOT_BLANK = r"\S"


def _alternatives(prop: dict[str, Any]) -> list[dict[str, Any]]:
    """A property's schema and the schemas it is made of (list items, ``anyOf`` choices)."""
    found = [prop]
    for choice in [prop, *prop.get("anyOf", ())]:
        if choice is not prop:
            found.append(choice)
        if isinstance(choice.get("items"), dict):
            found.append(choice["items"])
    return found


def document_input(schema: dict[str, Any], *, trimmed: bool = True) -> None:
    """Make a model's JSON schema say what its validation accepts, for clients and the API
    contract test alike.

    - Text is trimmed before its length is checked (``trimmed``: bodies are, query strings are
      not), so "at least one character" means one that is not white space: a pattern says so.
    - A decimal may be sent as a JSON number (or, from a web form, as text): the schema offers
      the number only, as the text alternative pydantic documents is any text at all, which
      its minimum, maximum and digits do not bound.
    """
    for prop in schema.get("properties", {}).values():
        choices = prop.get("anyOf")
        if choices and any(choice.get("type") == "number" for choice in choices):
            prop["anyOf"] = [choice for choice in choices if choice != {"type": "string"}]
        for candidate in _alternatives(prop) if trimmed else ():
            if (
                candidate.get("type") == "string"
                and candidate.get("minLength", 0) >= 1
                and "pattern" not in candidate
            ):
                candidate["pattern"] = NOT_BLANK


def _document_body(schema: dict[str, Any]) -> None:
    document_input(schema)


class InputModel(BaseModel):
    """Request bodies: unknown fields are an error, surrounding whitespace is dropped.

    Length limits hold for the text as sent, before trimming, as the schema documents them:
    a 200-character limit refuses 201 characters, even when some of them are spaces."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_document_body
    )

    @model_validator(mode="before")
    @classmethod
    def _lengths_as_sent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        errors: list[InitErrorDetails] = []
        for name, limit in _max_lengths(cls).items():
            value = data.get(name)
            texts = (
                [(name, value)]
                if isinstance(value, str)
                else [((name, index), item) for index, item in enumerate(value)]
                if isinstance(value, list)
                else []
            )
            for location, text in texts:
                if isinstance(text, str) and len(text) > limit:
                    loc = location if isinstance(location, tuple) else (location,)
                    errors.append(
                        InitErrorDetails(
                            type="string_too_long",
                            loc=loc,
                            input=text,
                            ctx={"max_length": limit},
                        )
                    )
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


@cache
def _max_lengths(model: type[BaseModel]) -> dict[str, int]:
    """The ``maxLength`` of each text field (or of the texts in a list field), by the name
    the field is sent under, as the model's JSON schema documents it."""
    schema = model.model_json_schema()
    found: dict[str, int] = {}
    for name, prop in schema.get("properties", {}).items():
        for candidate in (prop, prop.get("items", {}), *prop.get("anyOf", ())):
            for text in (candidate, candidate.get("items", {})):
                if text.get("type") == "string" and "maxLength" in text:
                    found[name] = int(text["maxLength"])
    return found


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
