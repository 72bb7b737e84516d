"""Base classes for API schemas, the types every id, moment and yes-or-no in a request have,
and what their JSON schemas say about validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, TypeGuard

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

# Ids are `integer` columns, 32 bits on PostgreSQL (SQLite's hold more, but hand ids out in
# order, so they never get this far): a larger number names nothing, and the database driver
# would refuse to send it. Revision numbers and item positions are stored the same way.
MAX_ID = 2**31 - 1


def _not_a_boolean(value: Any) -> Any:
    # Lax validation takes true for 1: no id is a yes or a no.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_a_boolean)]
"""An id in a path, query string, form or body: a whole number from 1 to ``MAX_ID``. Out of
that range it is a 422 naming the field, like any other invalid input."""


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-23:59 is in the year 10000 in UTC
        raise ValueError("is out of range") from None


Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A moment in a request: with its offset (a time without one names no instant, and cannot be
compared with the stored ones), in UTC."""


def is_id(value: object) -> TypeGuard[int]:
    """Whether ``value``, decoded from JSON (a cursor), is an id: an int in range, not a bool."""
    return type(value) is int and 1 <= value <= MAX_ID


ID_ADAPTER: TypeAdapter[int] = TypeAdapter(Id)


def as_id(text: str) -> int | None:
    """The id in ``text`` (a form's hidden field), or None when it holds none."""
    try:
        return ID_ADAPTER.validate_python(text)
    except ValidationError:
        return None


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null_not_allowed", "May be left out, but not null")
    return value


class _NotNull:
    """Metadata for an optional field that may be left out but not set to null: what a PATCH
    may leave unchanged, but not empty (a recipe's title). Validation refuses null, and the
    schema does not offer it."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        json_schema = dict(handler(schema))
        choices = [choice for choice in json_schema.pop("anyOf", []) if choice != {"type": "null"}]
        if len(choices) == 1:
            json_schema.update(choices[0])
        elif choices:
            json_schema["anyOf"] = choices
        return json_schema


NOT_NULL = _NotNull()


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
# Text without NUL (which bodies may not hold), and such text with at least one character
# that is not white space.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITE_SPACE}][^\x00]*$"


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

    - Text in a body (``trimmed``; query strings are not) may not hold NUL, and is trimmed
      before its length is checked, so "at least one character" means one that is not white
      space: a pattern says so.
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
                and "pattern" not in candidate
                and not ({"enum", "const", "format"} & candidate.keys())
            ):
                required = candidate.get("minLength", 0) >= 1
                candidate["pattern"] = NOT_BLANK if required else NO_NUL


def document_body(schema: dict[str, Any]) -> None:
    """``document_input`` for a request body (an ``InputModel``'s ``json_schema_extra``)."""
    document_input(schema)


class InputModel(BaseModel):
    """Request bodies and forms: unknown fields are an error, surrounding whitespace is dropped,
    and text may not hold the NUL character (PostgreSQL cannot store it; SQLite would).

    Length limits hold for the text as sent, before trimming, as the schema documents them:
    a 200-character limit refuses 201 characters, even when some of them are spaces."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=document_body
    )

    @model_validator(mode="wrap")
    @classmethod
    def _as_sent(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        refused = _refused_as_sent(cls, data)
        try:
            model = handler(data)
        except ValidationError as exc:
            if not refused:
                raise
            seen = {tuple(error["loc"]) for error in refused}
            others = [
                InitErrorDetails(
                    type=PydanticCustomError(error["type"], error["msg"], error.get("ctx")),
                    loc=error["loc"],
                    input=error["input"],
                )
                for error in exc.errors()
                if tuple(error["loc"]) not in seen
            ]
            raise ValidationError.from_exception_data(cls.__name__, [*refused, *others]) from None
        if refused:
            raise ValidationError.from_exception_data(cls.__name__, refused)
        return model

    @field_validator("*")
    @classmethod
    def _without_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError("must not contain the NUL character (U+0000)")
        return value


def _refused_as_sent(model: type[BaseModel], data: Any) -> list[InitErrorDetails]:
    """What ``data`` sends that its schema refuses and lax validation would take: text longer
    than its field allows before trimming, and a yes or no where a number goes. (Text where a
    number goes is taken: web forms and other apps' exports send numbers as text.)"""
    if not isinstance(data, dict):
        return []
    errors: list[InitErrorDetails] = []
    for name, rule in _rules(model).items():
        value = data.get(name)
        sent = (
            [((name, index), item) for index, item in enumerate(value)]
            if isinstance(value, list)
            else [((name,), value)]
        )
        for loc, item in sent:
            if (
                isinstance(item, str)
                and rule.max_length is not None
                and len(item) > rule.max_length
            ):
                errors.append(
                    InitErrorDetails(
                        type="string_too_long",
                        loc=loc,
                        input=item,
                        ctx={"max_length": rule.max_length},
                    )
                )
            elif rule.number and isinstance(item, bool):
                errors.append(
                    InitErrorDetails(
                        type=PydanticCustomError("number_type", "Input should be a number"),
                        loc=loc,
                        input=item,
                    )
                )
    return errors


@dataclass(frozen=True, slots=True)
class _Rule:
    max_length: int | None = None
    number: bool = False


_NUMBERS = frozenset({"integer", "number"})


@cache
def _rules(model: type[BaseModel]) -> dict[str, _Rule]:
    """For each field, by the name it is sent under, as the model's JSON schema documents it:
    the ``maxLength`` of its text (or of the texts in its list), and whether it (or each item
    of its list) is a number and nothing else."""
    schema = model.model_json_schema()
    found: dict[str, _Rule] = {}
    for name, prop in schema.get("properties", {}).items():
        values = [
            value
            for choice in (prop, *prop.get("anyOf", ()))
            for value in (choice, choice.get("items", {}))
            if "type" in value and value.get("type") not in ("array", "null")
        ]
        lengths = [v["maxLength"] for v in values if v["type"] == "string" and "maxLength" in v]
        types = {value["type"] for value in values}
        found[name] = _Rule(
            max_length=int(lengths[0]) if lengths else None,
            number=bool(types) and types <= _NUMBERS,
        )
    return found


def _holds_nul(value: object) -> bool:
    """Whether text in ``value`` (a field's value: text, or a list or mapping of it) holds NUL.
    Nested models are checked as they are validated."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
