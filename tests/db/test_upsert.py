"""``db.upsert``: the INSERT that skips, or updates, the rows a unique constraint already
holds, on either backend."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from recipevault.db import upsert

notes = Table(
    "upsert_probe",
    MetaData(),
    Column("key", String(20), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("body", String(50), nullable=False),
)


@pytest.fixture
async def probe_table(connection: AsyncConnection) -> None:
    # Made on the test's own connection: rolled back (PostgreSQL) or thrown away (SQLite).
    await connection.run_sync(notes.metadata.create_all)
    await connection.execute(notes.insert().values(key="a", number=1, body="first"))


async def _notes(session: AsyncSession) -> list[tuple[str, int, str]]:
    rows = await session.execute(select(notes.c.key, notes.c.number, notes.c.body).order_by("key"))
    return [tuple(row) for row in rows]


async def test_doing_nothing_skips_the_rows_a_unique_constraint_holds(
    session: AsyncSession, probe_table: None
) -> None:
    added = await session.scalars(
        upsert(session, notes)
        .values(
            [
                {"key": "a", "number": 5, "body": "second"},  # the key is taken
                {"key": "b", "number": 1, "body": "second"},  # the number is taken
                {"key": "c", "number": 3, "body": "new"},
            ]
        )
        .on_conflict_do_nothing()
        .returning(notes.c.key)
    )
    assert list(added) == ["c"]
    assert await _notes(session) == [("a", 1, "first"), ("c", 3, "new")]


async def test_doing_nothing_on_named_columns_skips_only_their_conflicts(
    session: AsyncSession, probe_table: None
) -> None:
    added = await session.scalar(
        upsert(session, notes)
        .values(key="a", number=2, body="second")
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(notes.c.key)
    )
    assert added is None
    assert await _notes(session) == [("a", 1, "first")]


async def test_updating_sets_the_taken_rows_to_the_new_values(
    session: AsyncSession, probe_table: None
) -> None:
    statement = upsert(session, notes, on=["key"], update=["body"])
    # Run once for many rows, with the rows as parameters.
    await session.execute(
        statement,
        [{"key": "a", "number": 9, "body": "second"}, {"key": "b", "number": 2, "body": "new"}],
    )
    assert await _notes(session) == [("a", 1, "second"), ("b", 2, "new")]


async def test_an_updating_upsert_is_made_once(session: AsyncSession) -> None:
    made = upsert(session, notes, on=("key",), update=("body",))
    assert upsert(session, notes, on=["key"], update=["body"]) is made
    assert upsert(session, notes, on=["key"], update=["body", "number"]) is not made
    with pytest.raises(ValueError, match="conflict is on"):
        upsert(session, notes, update=["body"])
