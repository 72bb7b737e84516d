"""Base classes for API schemas, and the types every id and moment in a request have."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeGuard

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

# Ids are `integer` columns, 32 bits on PostgreSQL (SQLite's hold more, but hand ids out in
# order, so they never get this far): a larger number names nothing, and the database driver
# would refuse to send it. Revision numbers and item positions are stored the same way.
MAX_ID = 2**31 - 1

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
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


class InputModel(BaseModel):
    """Request bodies and forms: unknown fields are an error, surrounding whitespace is dropped,
    and text may not hold the NUL character (PostgreSQL cannot store it; SQLite would)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _without_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError("must not contain the NUL character (U+0000)")
        return value


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
