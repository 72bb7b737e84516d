"""An app on a database of its own (a file on SQLite), opened as production opens one: real
commits, real concurrent connections, and a way to hold SQLite's write lock from outside."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine

from recipevault.config import Settings
from recipevault.db import Database
from tests.support.app import app_client
from tests.support.database import DatabaseFactory, own_database


@dataclass(frozen=True)
class Served:
    client: httpx.AsyncClient
    database: Database


@asynccontextmanager
async def served(
    databases: DatabaseFactory,
    settings: Settings,
    label: str,
    *,
    routers: Sequence[APIRouter] = (),
    **overrides: Any,
) -> AsyncIterator[Served]:
    """A client of the app (with ``routers`` added) and the database it runs on, both built
    with ``overrides``."""
    async with (
        own_database(databases, settings.model_copy(update=overrides), label) as database,
        app_client(settings, database, *routers, **overrides) as client,
    ):
        yield Served(client, database)


@contextmanager
def sqlite_write_lock(database: Database) -> Iterator[None]:
    """Hold the SQLite database's write lock from another connection, as another process
    would, until the block ends."""
    assert isinstance(database.bind, AsyncEngine)
    path = database.bind.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


async def eventually(check: Callable[[], Awaitable[bool]], *, within_s: float = 10.0) -> None:
    """Wait until ``check`` holds (it is asked every 20 ms); fail after ``within_s``."""
    async with asyncio.timeout(within_s):
        while not await check():  # noqa: ASYNC110 - the database is polled, not an event
            await asyncio.sleep(0.02)
