"""Making backups of whole instances, and how the archive holds tables and values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
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
    text,
)
from sqlalchemy.sql.elements import Null

from recipevault.backup.archive import BackupError, codec_for
from recipevault.backup.service import create_backup, table_plans
from recipevault.db import Base, UTCDateTime
from recipevault.enums import string_enum
from recipevault.media.storage import MediaStorage
from tests.backup import Source, files_in, new_instance
from tests.support.database import DatabaseFactory


async def test_a_backup_never_replaces_a_file(source: Source, tmp_path: Path) -> None:
    instance, _ = source
    existing = tmp_path / "taken.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        await create_backup(instance.database, instance.storage, destination=existing)
    assert existing.read_bytes() == b"keep me"
    assert files_in(tmp_path) == [existing]


class BrokenStorage:
    """Lists files, then fails to read them."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    async def list(self, prefix: str = "") -> list[str]:
        return await self.storage.list(prefix)

    async def get(self, key: str) -> bytes:
        raise OSError("disk on fire")


async def test_a_failed_backup_leaves_no_file(source: Source, tmp_path: Path) -> None:
    instance, _ = source
    broken: Any = BrokenStorage(instance.storage)
    with pytest.raises(OSError, match="disk on fire"):
        await create_backup(instance.database, broken, destination=tmp_path / "site.zip")
    assert files_in(tmp_path) == []


async def test_a_database_without_schema_cannot_be_backed_up(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    async with new_instance(databases, tmp_path, "bare", revision="base") as bare:
        with pytest.raises(BackupError, match="no schema yet"):
            await create_backup(bare.database, bare.storage, destination=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


async def test_a_table_no_model_describes_stops_the_backup(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    async with new_instance(databases, tmp_path, "extra") as extra:
        async with extra.database.session() as session:
            await session.execute(text("CREATE TABLE stray_notes (id INTEGER PRIMARY KEY)"))
            await session.commit()
        with pytest.raises(BackupError, match=r"tables no model describes \(stray_notes\)"):
            await create_backup(extra.database, extra.storage, destination=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


# --- The format's parts ---------------------------------------------------------------------


def test_tables_are_restored_parents_first() -> None:
    plans = table_plans()
    order = [plan.table.name for plan in plans]
    assert sorted(order) == sorted(Base.metadata.tables)
    for plan in plans:
        assert plan.deferred == ()
        for key in plan.table.foreign_keys:
            assert order.index(key.column.table.name) < order.index(plan.table.name)


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
