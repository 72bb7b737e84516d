"""SQLite connections go to their thread only for what may wait for a lock: statements of a
transaction that holds the write lock, and reads, run on the calling thread; BEGIN IMMEDIATE
waits for the lock on the connection's thread, and the event loop goes on meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from recipevault.config import Settings
from tests.support.database import DatabaseFactory, own_database
from tests.support.served import sqlite_write_lock

pytestmark = pytest.mark.sqlite_only


def _count_threads(engine: AsyncEngine) -> None:
    """Give the engine's connections ``thread()``: the id of the thread a statement runs on."""

    @event.listens_for(engine.sync_engine, "connect")
    def _register(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function("thread", 0, threading.get_ident)


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
