"""Test databases, built by the migrations: on SQLite a file for each test, copied from one
migrated once per run and opened as the app opens it; on PostgreSQL one database per run, each
test inside a transaction rolled back at its end."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import BigInteger, Executable, Text, bindparam, column, event, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.util.concurrency import await_, in_greenlet

from recipevault.config import Settings
from recipevault.db import Database, Reads
from recipevault.db.migrate import alembic_config
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

    def copy_of(self, template_url: str, label: str) -> str:
        """A SQLite database file of its own, a copy of the (migrated) one at ``template_url``:
        a few hundred kilobytes, far cheaper than running the migrations again."""
        copy = self.new_url(label)
        shutil.copyfile(sqlite_path(template_url), sqlite_path(copy))
        return copy


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database, url
    return Path(database)


def settle_sqlite_file(url: str) -> None:
    """Move what the write-ahead log holds into the database file, so that a copy of the file
    alone is the whole database (the file stays in WAL mode)."""
    with sqlite3.connect(sqlite_path(url)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def remove_sqlite_file(url: str) -> None:
    path = sqlite_path(url)
    for suffix in ("", "-wal", "-shm", "-writers"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


StatementObserver = Callable[[str], None]
_case_databases: weakref.WeakKeyDictionary[AsyncEngine, CaseDatabase] = weakref.WeakKeyDictionary()


class CaseDatabase(Database):
    """One test's SQLite database, opened as the app opens its file (``from_settings``): pooled
    connections, one writer's connection, and the reader, on a connection of its own that sees
    what is committed.

    What the test writes itself, through its ``session`` and ``connection`` fixtures (one
    connection), stays in their transaction until someone else looks: before the app serves a
    request of the test's client, before a read outside a session (``reads``) and before the app
    takes a connection, it is committed, as a request's unit of work is committed before the
    next request reads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.test_work: list[AsyncSession | AsyncConnection] = []
        self._observers: list[StatementObserver] = []
        assert isinstance(self.bind, AsyncEngine)
        _case_databases[self.bind] = self
        for engine in self.engines:
            event.listen(engine.sync_engine, "checkout", self._before_app_work)

    def _before_app_work(self, *_args: Any) -> None:
        # The app takes a connection (a job run by the test, a session of its own): what the
        # test wrote, or read in a transaction still open, must not keep it from seeing the
        # latest. Checkouts happen inside SQLAlchemy's greenlet, which may await.
        if self.test_work and in_greenlet():
            await_(self.commit_test_work())

    @property
    def engines(self) -> list[AsyncEngine]:
        """The engines whose statements SQLAlchemy's events report: the pool's and the
        writer's."""
        assert isinstance(self.bind, AsyncEngine)
        return [self.bind] if self._writer is None else [self.bind, self._writer]

    @contextmanager
    def reads_observed(self, observer: StatementObserver) -> Iterator[None]:
        """``observer`` is told each statement read outside a session meanwhile (the reader
        runs most of them straight through the driver, past SQLAlchemy's events)."""
        self._observers.append(observer)
        try:
            yield
        finally:
            self._observers.remove(observer)

    async def commit_test_work(self) -> None:
        """Commit what the test has written itself (its session first, then its connection,
        which the session's transaction is part of)."""
        for work in reversed(self.test_work):
            if work.in_transaction():
                await work.commit()

    @asynccontextmanager
    async def reads(self, *, plan_once: bool = False) -> AsyncIterator[Reads]:
        await self.commit_test_work()
        async with super().reads(plan_once=plan_once) as read:
            yield _ObservedReads(read, self) if self._observers else read

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
        plan_once: bool = False,
    ) -> Sequence[Any]:
        # Through ``reads`` (the app's database skips it on SQLite): committed and observed.
        async with self.reads(plan_once=plan_once) as read:
            return await read.rows(statement, parameters, heavy=heavy)

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        async with self.reads() as read:
            return await read.first(statement, parameters)

    def observe(self, statement: Executable) -> None:
        assert isinstance(statement, ClauseElement)
        sql = str(statement.compile(dialect=self.bind.dialect))
        for observer in list(self._observers):
            observer(sql)


class _ObservedReads:
    __slots__ = ("_database", "_read")

    def __init__(self, read: Reads, database: CaseDatabase) -> None:
        self._read = read
        self._database = database

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
    ) -> Sequence[Any]:
        self._database.observe(statement)
        return await self._read.rows(statement, parameters, heavy=heavy)

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        self._database.observe(statement)
        return await self._read.first(statement, parameters)


async def commit_test_work(database: Database) -> None:
    """What the test wrote itself, committed before the app serves its next request (see
    ``CaseDatabase``); elsewhere the app shares the test's transaction."""
    if isinstance(database, CaseDatabase):
        await database.commit_test_work()


@asynccontextmanager
async def case_database(
    databases: DatabaseFactory, settings: Settings, template_url: str
) -> AsyncIterator[CaseDatabase]:
    url = databases.copy_of(template_url, "case")
    database = CaseDatabase.from_settings(settings.model_copy(update={"database_url": url}))
    assert isinstance(database, CaseDatabase)
    # Marks ("last used") are written at once rather than by a task soon after the response,
    # so that a test sees them when its request returns.
    database.write_behind.automatic = False
    try:
        yield database
    finally:
        await database.dispose()
        remove_sqlite_file(url)


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
    """The statements run meanwhile (those ``kept`` keeps), as sent: by the engine, and on
    SQLite by every connection of the test's database the engine belongs to (the writer's and
    the reader's too)."""
    statements: list[str] = []

    def keep(statement: str) -> None:
        if kept(statement):
            statements.append(statement)

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        keep(statement)

    database = _case_databases.get(engine)
    engines = [engine] if database is None else database.engines
    with ExitStack() as stack:
        for each in engines:
            event.listen(each.sync_engine, "before_cursor_execute", record)
            stack.callback(event.remove, each.sync_engine, "before_cursor_execute", record)
        if database is not None:
            stack.enter_context(database.reads_observed(keep))
        yield statements
