"""Test databases: one per backend per run, built by the migrations."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import BigInteger, Text, bindparam, column, event, select, table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from recipevault.config import Settings
from recipevault.db import Database, Reads
from recipevault.migrate import alembic_config
from tests.support.postgres import PostgresServer, running_postgres

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def postgres_required() -> bool:
    """Under CI, or when asked, PostgreSQL runs too, and failing to start it is an error."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "RECIPEVAULT_TEST_POSTGRES", ""
    ) in {"1", "true", "yes"}


def backends() -> list[str]:
    return [SQLITE, POSTGRESQL] if postgres_required() else [SQLITE]


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


class DatabaseFactory:
    """Makes empty databases on one backend; PostgreSQL starts on first use."""

    def __init__(self, backend: str, workdir: Path, stack: ExitStack) -> None:
        self.backend = backend
        self.workdir = workdir
        self._stack = stack
        self._server: PostgresServer | None = None

    def _postgres(self) -> PostgresServer:
        if self._server is None:
            self._server = self._stack.enter_context(running_postgres())
        return self._server

    def new_url(self, label: str) -> str:
        name = f"rv_{label}_{uuid.uuid4().hex[:8]}"
        if self.backend == SQLITE:
            return f"sqlite+aiosqlite:///{self.workdir / name}.db"
        server = self._postgres()
        server.create_database(name)
        return server.url(name)


@contextmanager
def database_factory(backend: str, workdir: Path) -> Iterator[DatabaseFactory]:
    with ExitStack() as stack:
        yield DatabaseFactory(backend, workdir, stack)


@asynccontextmanager
async def own_database(
    databases: DatabaseFactory, settings: Settings, label: str
) -> AsyncIterator[Database]:
    """A new database built by the migrations, outside the test's transaction, opened as the
    app opens one (commits are real) and closed afterwards."""
    url = databases.new_url(label)
    await asyncio.to_thread(migrate, url)
    database = Database.from_settings(settings.model_copy(update={"database_url": url}))
    try:
        yield database
    finally:
        await database.dispose()


_PREPARED = table(
    "pg_prepared_statements",
    column("statement", Text),
    column("generic_plans", BigInteger),
    column("custom_plans", BigInteger),
)


async def plans_made(
    source: AsyncConnection | Database | Reads, statement_like: str
) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of each statement prepared on this PostgreSQL connection
    whose text is like ``statement_like``; given the database (or its reads), on the
    connection its sessionless reads run on (one after another, they all run on the same
    one)."""
    query = select(_PREPARED.c.generic_plans, _PREPARED.c.custom_plans).where(
        _PREPARED.c.statement.like(bindparam("pattern"))
    )
    parameters = {"pattern": statement_like}
    if isinstance(source, AsyncConnection):
        rows: Sequence[Any] = (await source.execute(query, parameters)).all()
    else:
        rows = await source.rows(query, parameters)
    return [(int(generic), int(custom)) for generic, custom in rows]


@contextmanager
def statements_run(
    engine: AsyncEngine, kept: Callable[[str], bool] = lambda statement: True
) -> Iterator[list[str]]:
    """The statements the engine runs meanwhile (those ``kept`` keeps), as sent."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if kept(statement):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
