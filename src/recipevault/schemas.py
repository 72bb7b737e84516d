"""Base classes for API schemas."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# Validation context: which kind of form the input came from, if any.
FORM = "form"
WEB_FORM = "web"  # the website's forms: a checkbox sends "on"
API_FORM = "api"  # the API's multipart forms: booleans travel as "true" and "false"


def _flag(value: Any, info: ValidationInfo) -> Any:
    form = (info.context or {}).get(FORM)
    if isinstance(value, bool) or form == WEB_FORM:
        return value
    if form == API_FORM and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise PydanticCustomError("bool_type", "Input should be true or false")


# A yes or no: true or false in JSON (not 0 or "yes"); forms send text, as their kind has it.
Flag = Annotated[bool, BeforeValidator(_flag)]

# White space as trimming sees it (Unicode's White_Space, which Python's ``\s`` exceeds: it
# takes \x1c-\x1f too), spelled out so that schema patterns mean the same to every reader.
WHITE_SPACE = r"\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text with at least one character that is not white space (patterns match anywhere).
NOT_BLANK = f"[^{WHITE_SPACE}]"


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

    @model_validator(mode="wrap")
    @classmethod
    def _lengths_as_sent(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        too_long = _too_long(cls, data)
        try:
            model = handler(data)
        except ValidationError as exc:
            if not too_long:
                raise
            seen = {tuple(error["loc"]) for error in too_long}
            others = [error for error in exc.errors() if tuple(error["loc"]) not in seen]
            raise ValidationError.from_exception_data(
                cls.__name__,
                [*too_long, *others],  # type: ignore[list-item]
            ) from None
        if too_long:
            raise ValidationError.from_exception_data(cls.__name__, too_long)
        return model


def _too_long(model: type[BaseModel], data: Any) -> list[InitErrorDetails]:
    """Texts of ``data`` longer, as sent, than their field allows."""
    if not isinstance(data, dict):
        return []
    errors: list[InitErrorDetails] = []
    for name, limit in _max_lengths(model).items():
        value = data.get(name)
        texts = (
            [((name,), value)]
            if isinstance(value, str)
            else [((name, index), item) for index, item in enumerate(value)]
            if isinstance(value, list)
            else []
        )
        for loc, text in texts:
            if isinstance(text, str) and len(text) > limit:
                errors.append(
                    InitErrorDetails(
                        type="string_too_long", loc=loc, input=text, ctx={"max_length": limit}
                    )
                )
    return errors


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
