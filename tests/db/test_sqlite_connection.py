"""SQLite connections go to their thread only for what may wait for a lock: statements of a
transaction that holds the write lock, and reads, run on the calling thread; BEGIN IMMEDIATE
waits for the lock on the connection's thread, and the event loop goes on meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from recipevault.config import Settings
from recipevault.db.sqlite_connection import WritersTurns
from tests.support.database import DatabaseFactory, own_database
from tests.support.served import sqlite_write_lock


def _count_threads(engine: AsyncEngine) -> None:
    """Give the engine's connections ``thread()``: the id of the thread a statement runs on."""

    @event.listens_for(engine.sync_engine, "connect")
    def _register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread", 0, threading.get_ident)


@pytest.mark.sqlite_only
async def test_a_write_transaction_runs_its_statements_on_the_calling_thread(
    databases: DatabaseFactory, settings: Settings
) -> None:
    async with own_database(databases, settings, "inline") as database:
        assert database._writer is not None
        _count_threads(database._writer)
        _count_threads(database.bind)  # type: ignore[arg-type]
        here = threading.get_ident()
        async with database.session(write=True) as session:
            await session.execute(text("CREATE TABLE threads_probe (ran_on INTEGER)"))
            await session.execute(text("INSERT INTO threads_probe VALUES (thread())"))
            written = (await session.execute(text("SELECT ran_on FROM threads_probe"))).scalar()
            await session.commit()
        async with database.session(write=False) as session:
            read = (await session.execute(text("SELECT thread()"))).scalar()
            # A read transaction that writes may wait for the lock: that goes to the thread.
            await session.execute(text("INSERT INTO threads_probe VALUES (thread())"))
            rows = (await session.execute(text("SELECT ran_on FROM threads_probe"))).scalars()
            await session.rollback()
    assert written == here
    assert read == here
    assert [ran_on != here for ran_on in rows] == [False, True]


@pytest.mark.sqlite_only
async def test_a_writer_waiting_for_another_process_does_not_hold_up_the_event_loop(
    databases: DatabaseFactory, settings: Settings
) -> None:
    slow = settings.model_copy(update={"sqlite_busy_timeout_ms": 3000})
    async with own_database(databases, slow, "waiting") as database:
        with sqlite_write_lock(database):

            async def write() -> None:
                async with database.session(write=True) as session:
                    await session.execute(text("CREATE TABLE waited_probe (n INTEGER)"))
                    await session.commit()

            writer = asyncio.create_task(write())
            started = time.perf_counter()
            await asyncio.sleep(0.2)  # the writer is waiting for the lock meanwhile
            assert time.perf_counter() - started < 1.5
            assert not writer.done()
        await asyncio.wait_for(writer, 5)


async def test_a_writer_waits_for_the_turn_of_another_process_and_goes_right_after(
    tmp_path: Path,
) -> None:
    lock_file = tmp_path / "db-writers"
    first, second = (WritersTurns(lock_file, timeout_s=5) for _ in range(2))
    try:
        await first.take()
        waiting = asyncio.create_task(second.take())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        first.give_back()
        await asyncio.wait_for(waiting, 2)
    finally:
        first.close()
        second.close()


async def test_a_turn_not_given_back_in_time_is_database_locked(tmp_path: Path) -> None:
    lock_file = tmp_path / "db-writers"
    first, second = WritersTurns(lock_file, timeout_s=5), WritersTurns(lock_file, timeout_s=0.1)
    try:
        await first.take()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await second.take()
        first.give_back()
        await asyncio.wait_for(second.take(), 2)  # the abandoned wait left nothing held
    finally:
        first.close()
        second.close()


@pytest.mark.sqlite_only
async def test_a_write_transaction_gives_its_turn_back_when_it_ends(
    databases: DatabaseFactory, settings: Settings
) -> None:
    async with own_database(databases, settings, "turn_back") as database:
        assert isinstance(database.bind, AsyncEngine)
        path = Path(str(database.bind.url.database))
        other = WritersTurns(path.with_name(path.name + "-writers"), timeout_s=0.2)
        try:
            for end in ("commit", "rollback"):
                async with database.session(write=True) as session:
                    await session.execute(text("CREATE TABLE IF NOT EXISTS turn_probe (n INT)"))
                    with pytest.raises(sqlite3.OperationalError):
                        await other.take()  # taken by the transaction
                    await getattr(session, end)()
                await other.take()
                other.give_back()
        finally:
            other.close()
