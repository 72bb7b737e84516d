"""How a column's values are written in a backup archive: each column's kind, and its values
to and from JSON. ``archive.py`` describes the format; every value read back is checked
against its column's kind.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum as PyEnum
from typing import Any, TypeGuard

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    TypeDecorator,
    cast,
    null,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ColumnCodec:
    """One column: its name and kind in the archive, and how values go to and from JSON."""

    key: str
    kind: str
    column: Column[Any] = field(compare=False)

    def encode(self, value: Any) -> Any:
        if value is None:
            return None
        match self.kind:
            case "decimal":
                return str(value)
            case "datetime" | "date" | "time":
                return value.isoformat()
            case "bytes":
                return base64.b64encode(value).decode("ascii")
            case "float" if not math.isfinite(value):
                return str(value)
            case "string" if isinstance(value, PyEnum):
                return value.value
        return value

    def decode(self, value: Any) -> Any:
        """The value to bind for this column, or ValueError naming what is wrong."""
        if value is None:
            # A JSON column binds Python None as the JSON document "null".
            return null() if self.kind == "json" else None
        decoder = _DECODERS[self.kind]
        return decoder(self, value)

    def read(self) -> ColumnElement[Any]:
        """The expression that reads the column's stored value."""
        if self.kind == "json":
            return cast(self.column, Text).label(self.column.name)
        if isinstance(_base_type(self.column), Enum):
            return type_coerce(self.column, String()).label(self.column.name)
        return self.column


def _base_type(column: Column[Any]) -> Any:
    type_ = column.type
    return type_.impl if isinstance(type_, TypeDecorator) else type_


def codec_for(column: Column[Any]) -> ColumnCodec:
    type_ = _base_type(column)
    kinds: tuple[tuple[type[Any], str], ...] = (
        (Boolean, "boolean"),
        (Integer, "integer"),
        (Float, "float"),
        (Numeric, "decimal"),
        (DateTime, "datetime"),
        (Date, "date"),
        (Time, "time"),
        (JSON, "json"),
        (LargeBinary, "bytes"),
        (String, "string"),  # Text and Enum too
    )
    for type_class, kind in kinds:
        if isinstance(type_, type_class):
            return ColumnCodec(key=column.key, kind=kind, column=column)
    raise TypeError(f"column {column} has type {type_!r}, which backups cannot write")


def _integer(codec: ColumnCodec, value: Any) -> int:
    if not is_int(value):
        raise ValueError("an integer")
    return int(value)


def _boolean(codec: ColumnCodec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _string(codec: ColumnCodec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _float(codec: ColumnCodec, value: Any) -> float:
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number")
    return float(value)


def _decimal(codec: ColumnCodec, value: Any) -> Decimal:
    try:
        number = Decimal(_string(codec, value))
    except InvalidOperation:
        raise ValueError("a decimal number as a string") from None
    if not number.is_finite():
        raise ValueError("a finite decimal number")
    return number


def _datetime(codec: ColumnCodec, value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(_string(codec, value))
    except ValueError:
        raise ValueError("an ISO 8601 date and time") from None
    aware = getattr(_base_type(codec.column), "timezone", False)
    if aware and moment.tzinfo is None:
        raise ValueError("a date and time with its UTC offset")
    return moment


def _date(codec: ColumnCodec, value: Any) -> date:
    try:
        return date.fromisoformat(_string(codec, value))
    except ValueError:
        raise ValueError("an ISO 8601 date") from None


def _time(codec: ColumnCodec, value: Any) -> time:
    try:
        moment = time.fromisoformat(_string(codec, value))
    except ValueError:
        raise ValueError("an ISO 8601 time of day") from None
    if moment.tzinfo is not None:
        raise ValueError("a time of day without a UTC offset")
    return moment


def _json(codec: ColumnCodec, value: Any) -> Any:
    try:
        document = json.loads(_string(codec, value))
    except json.JSONDecodeError:
        raise ValueError("JSON text") from None
    return JSON.NULL if document is None else document


def _bytes(codec: ColumnCodec, value: Any) -> bytes:
    try:
        return base64.b64decode(_string(codec, value), validate=True)
    except ValueError:
        raise ValueError("base64 text") from None


_DECODERS = {
    "integer": _integer,
    "boolean": _boolean,
    "string": _string,
    "float": _float,
    "decimal": _decimal,
    "datetime": _datetime,
    "date": _date,
    "time": _time,
    "json": _json,
    "bytes": _bytes,
}
