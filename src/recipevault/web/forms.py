"""HTML forms, validated with the same Pydantic schemas as the API.

``read_form`` turns a submitted form into the schema's model, or into one message per field
(shown beside its input) together with the values as submitted, so the page can be rendered
again with the input kept. Form conventions it follows:

- a blank input for a field with a default leaves the default (an empty "expires" box means
  no expiry), while a blank required field is reported as required;
- list fields take every value sent under their name (checkboxes, multiple selects);
- a bool field absent from the submission is False (an unchecked checkbox sends nothing).
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Generic, Protocol, TypeVar, Union, get_args, get_origin

from fastapi import Request
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from recipevault.http.schemas import FORM, WEB_FORM

M = TypeVar("M", bound=BaseModel)
# The key of messages about the form as a whole rather than one field.
FORM_ERROR = "_form"
FormValue = str | list[str]


class MultiValues(Protocol):
    """Submitted form data: starlette's ``FormData`` or anything with the same ``getlist``."""

    def getlist(self, key: Any) -> list[Any]: ...


@dataclass(frozen=True)
class Form(Generic[M]):
    """A submitted (or blank) form: the valid model if there is one, else what to show."""

    data: M | None = None
    values: Mapping[str, FormValue] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors

    def value(self, name: str, default: str = "") -> str:
        value = self.values.get(name, default)
        return value[0] if isinstance(value, list) and value else str(value or default)

    def selected(self, name: str) -> list[str]:
        value = self.values.get(name, [])
        return list(value) if isinstance(value, list) else [value]

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def with_error(self, name: str, message: str) -> Form[M]:
        """The same form, now invalid with ``message`` beside field ``name`` (a refusal from
        the service: "email already registered")."""
        return replace(self, data=None, errors={**self.errors, name: message})


def blank_form(values: Mapping[str, FormValue] | None = None) -> Form[Any]:
    """A form not submitted yet, optionally filled with initial values."""
    return Form(values=dict(values or {}))


def _unwrap(annotation: Any) -> list[Any]:
    """The member types of an annotation, through Optional, unions and Annotated."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [
            member
            for arg in get_args(annotation)
            if arg is not type(None)
            for member in _unwrap(arg)
        ]
    return [annotation]


def _is_list(annotation: Any) -> bool:
    return any(get_origin(member) in (list, set, tuple) for member in _unwrap(annotation))


def _is_bool(annotation: Any) -> bool:
    return any(member is bool for member in _unwrap(annotation))


def form_values(schema: type[BaseModel], form: MultiValues) -> dict[str, FormValue]:
    """The schema's fields as submitted (other inputs, such as ``csrf_token``, are left out:
    API schemas refuse unknown fields)."""
    values: dict[str, FormValue] = {}
    for name, info in schema.model_fields.items():
        key = info.alias or name
        submitted = [item for item in form.getlist(key) if isinstance(item, str)]
        if _is_list(info.annotation):
            values[key] = submitted
        elif submitted:
            values[key] = submitted[0]
    return values


def _model_input(schema: type[BaseModel], values: Mapping[str, FormValue]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        key = info.alias or name
        if key not in values:
            if _is_bool(info.annotation) and not _is_list(info.annotation):
                data[key] = False
            continue
        value = values[key]
        if value in ("", []) and not info.is_required():
            continue
        data[key] = value
    return data


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    blank = not str(error.get("input") or "").strip()
    # A blank required date reads as required, not as a date too short to parse.
    if kind == "missing" or (blank and (kind == "string_too_short" or kind.startswith("date_"))):
        return "This field is required."
    if kind == "string_too_short":
        return f"Use at least {context['min_length']} characters."
    if kind == "string_too_long":
        return f"Use at most {context['max_length']} characters."
    if kind in ("literal_error", "enum"):
        return "Choose one of the options."
    if kind in ("int_parsing", "int_from_float"):
        return "Enter a whole number."
    if kind in ("float_parsing", "decimal_parsing"):
        return "Enter a number."
    if kind in ("too_short", "too_long") and "min_length" in context:
        return f"Choose at least {context['min_length']}."
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One message per top-level field (the first, when a field breaks several rules)."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        location = error["loc"]
        key = str(location[0]) if location else FORM_ERROR
        errors.setdefault(key, _message(error))
    return errors


def validate_form(schema: type[M], form: MultiValues) -> Form[M]:
    values = form_values(schema, form)
    try:
        data = schema.model_validate(_model_input(schema, values), context={FORM: WEB_FORM})
    except ValidationError as exc:
        return Form(values=values, errors=field_errors(exc))
    return Form(data=data, values=values)


async def read_form(request: Request, schema: type[M]) -> Form[M]:
    """The request's form validated against ``schema``."""
    return validate_form(schema, await request.form())
