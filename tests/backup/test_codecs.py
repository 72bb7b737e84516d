"""Each kind of column value written to JSON and read back, as a backup archive holds it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson
import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    Time,
)
from sqlalchemy.sql.elements import Null

from recipevault.backup.codecs import codec_for
from recipevault.db import UTCDateTime
from recipevault.db.column_types import string_enum


class Colour(StrEnum):
    RED = "red"


def test_every_kind_of_value_survives_the_trip_through_json() -> None:
    table = Table(
        "kinds",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("flag", Boolean),
        Column("ratio", Float),
        Column("amount", Numeric(12, 4)),
        Column("at", UTCDateTime()),
        Column("day", Date),
        Column("document", JSON),
        Column("blob", LargeBinary),
        Column("colour", string_enum(Colour, "colour")),
        Column("text", Text),
    )
    codecs = [codec_for(column) for column in table.columns]
    assert [codec.kind for codec in codecs] == [
        "integer",
        "boolean",
        "float",
        "decimal",
        "datetime",
        "date",
        "json",
        "bytes",
        "string",
        "string",
    ]
    moment = datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=UTC)
    rows: list[list[Any]] = [
        [
            *(1, True, 0.1, Decimal("12345678.1234"), moment, date(2026, 5, 1)),
            *('{"a": [1, null]}', b"\x00\xff", Colour.RED, "línea ✨"),
        ],
        [2, False, float("inf"), Decimal("0.0001"), None, None, "null", b"", "red", ""],
        [3, None, float("-inf"), None, None, None, None, None, None, None],
    ]
    for row in rows:
        line = orjson.loads(orjson.dumps([c.encode(v) for c, v in zip(codecs, row, strict=True)]))
        back = [c.decode(v) for c, v in zip(codecs, line, strict=True)]
        expected = [Colour.RED.value if isinstance(value, Colour) else value for value in row]
        if row[6] is None:
            assert isinstance(back[6], Null)
        else:
            assert back[6] == (JSON.NULL if row[6] == "null" else json.loads(row[6]))
        back[6] = expected[6] = None
        assert back == expected
    nan = codecs[2].decode(codecs[2].encode(float("nan")))
    assert nan != nan
    with pytest.raises(ValueError, match="with its UTC offset"):
        codecs[4].decode("2026-05-01T08:30:00")
    with pytest.raises(ValueError, match="true or false"):
        codecs[1].decode(1)
    with pytest.raises(ValueError, match="an integer"):
        codecs[0].decode(True)
    with pytest.raises(ValueError, match="base64"):
        codecs[7].decode("***")


def test_a_time_of_day_survives_the_trip_through_json() -> None:
    (codec,) = [codec_for(Table("slots", MetaData(), Column("at", Time)).c.at)]
    assert codec.kind == "time"
    for moment in (time(19, 0), time(8, 30, 15, 250), None):
        assert codec.decode(orjson.loads(orjson.dumps(codec.encode(moment)))) == moment
    with pytest.raises(ValueError, match="ISO 8601 time"):
        codec.decode("7pm")
    with pytest.raises(ValueError, match="without a UTC offset"):
        codec.decode("19:00+02:00")
