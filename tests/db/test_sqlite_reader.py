"""Statements run straight through the sqlite3 driver give what SQLAlchemy gives, or are left
to it."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    func,
    insert,
    literal,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.types import NullType

from recipevault.db import UTCDateTime
from recipevault.db.column_types import string_enum
from recipevault.db.sqlite_reader import DriverStatement


class Shade(enum.StrEnum):
    LIGHT = "light"
    DARK = "dark"


metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20)),
    Column("shade", string_enum(Shade, "shade")),
    Column("made_at", UTCDateTime()),
    Column("blob", LargeBinary),
)
MOMENT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(things),
            [
                {
                    "id": n,
                    "name": f"thing {n}",
                    "shade": Shade.DARK if n % 2 else Shade.LIGHT,
                    "made_at": MOMENT.replace(hour=n),
                    "blob": bytes([n]) * 3,
                }
                for n in range(1, 9)
            ],
        )
    yield engine
    engine.dispose()


def _both(
    engine: Engine, statement: Any, parameters: dict[str, Any], *, read_back: bool = False
) -> list[list[tuple[Any, ...]]]:
    """The rows from SQLAlchemy and from the driver statement, as tuples (read back as the
    reader reads them, with ``read_back``)."""
    direct = DriverStatement.compile(statement, engine.dialect, read_back=read_back)
    assert direct is not None
    bound = direct.bind(parameters)
    assert bound is not None
    with engine.connect() as connection:
        expected = [tuple(row) for row in connection.execute(statement, parameters)]
        driver = connection.connection.driver_connection
        assert driver is not None
        got = [tuple(row) for row in direct.read_back(driver.execute(*bound).fetchall())]
    return [expected, got]


def test_parameters_are_bound_as_sqlalchemy_binds_them(engine: Engine) -> None:
    """Defaults written in the statement, typed values (an aware time, an enumeration), ``IN``
    lists used twice, and a list's values converted one by one."""
    statement = (
        select(things.c.id, things.c.name, type_coerce(things.c.made_at, NullType()), things.c.blob)
        .where(
            things.c.shade == Shade.DARK,
            things.c.made_at > bindparam("after", type_=UTCDateTime()),
            things.c.id.in_(bindparam("ids", expanding=True)),
            things.c.name.in_(bindparam("names", expanding=True))
            | things.c.id.in_(bindparam("ids")),
        )
        .order_by(things.c.id.desc())
        .limit(bindparam("limit"))
    )
    parameters = {
        "after": MOMENT.replace(hour=2),
        "ids": [1, 3, 5, 7, 8],
        "names": ["thing 3"],
        "limit": 2,
    }
    expected, got = _both(engine, statement, parameters)
    assert got == expected
    assert [row[0] for row in got] == [7, 5]
    assert got[0][3] == bytes([7]) * 3

    shades = select(things.c.id).where(
        things.c.shade.in_(bindparam("shades", expanding=True)), things.c.id > literal(2)
    )
    expected, got = _both(engine, shades, {"shades": [Shade.LIGHT]})
    assert got == expected == [(4,), (6,), (8,)]


def test_statements_whose_results_sqlalchemy_converts_are_left_to_it(engine: Engine) -> None:
    dialect = engine.dialect
    assert DriverStatement.compile(select(things.c.made_at), dialect) is None
    assert DriverStatement.compile(insert(things).values(id=20), dialect) is None
    # Values written into the SQL at execution, and lists of tuples, are SQLAlchemy's to render.
    literal_limit = select(things.c.id).limit(bindparam("n", literal_execute=True))
    assert DriverStatement.compile(literal_limit, dialect) is None
    pairs = select(things.c.id).where(
        tuple_(things.c.id, things.c.name).in_(bindparam("pairs", expanding=True))
    )
    assert DriverStatement.compile(pairs, dialect) is None


def test_an_empty_list_is_left_to_sqlalchemy(engine: Engine) -> None:
    statement = select(func.count()).where(things.c.id.in_(bindparam("ids", expanding=True)))
    direct = DriverStatement.compile(statement, engine.dialect)
    assert direct is not None
    assert direct.bind({"ids": []}) is None
    assert direct.bind({"ids": [1, 2]}) is not None


def test_values_sqlalchemy_converts_are_read_back_as_it_reads_them(engine: Engine) -> None:
    """Asked to (as the reader asks), a statement whose values SQLAlchemy converts on the way
    out (an enumeration, an aware time) runs through the driver and reads back the same
    values; the others are left as the driver gives them."""
    statement = (
        select(things.c.id, things.c.shade, things.c.made_at, things.c.name)
        .where(things.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(things.c.id)
    )
    expected, got = _both(engine, statement, {"ids": [1, 2, 8]}, read_back=True)
    assert got == expected
    assert got[0] == (1, Shade.DARK, MOMENT.replace(hour=1), "thing 1")
    assert got[0][2].tzinfo is UTC
