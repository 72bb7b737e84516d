"""The database: declarative base, engine, sessions, and the request-owned transaction.

SQLite connections run in WAL mode with a busy timeout and foreign keys on. Requests that may
write open their transaction with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
writes fails at once with "database is locked" when another writer got in between, whatever the
busy timeout, while an immediate one queues for the write lock. Safe requests begin deferred and
never wait for writers.

SQLite has one writer at a time, so each process writes through one connection: writers wait
for it in the pool's queue, in order, holding nothing (no connection, no thread, no lock), up to
the pool timeout. Left to the busy timeout instead, each would hold a connection and poll for the
lock with growing sleeps, and the unlucky ones wait seconds behind later arrivals. Between
processes the busy timeout still arbitrates, between one writer each.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any, ClassVar, Protocol

from fastapi import Request
from sqlalchemy import (
    DateTime,
    Dialect,
    Executable,
    MetaData,
    TextClause,
    TypeDecorator,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
)

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import sqlite_connection
from recipevault.db.postgres_reader import PostgresReader
from recipevault.db.sqlite_reader import SqliteReader
from recipevault.db.write_behind import WriteBehind
from recipevault.errors import AppError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SQLITE_BEGIN_OPTION = "recipevault_sqlite_begin"
_PLAN_ONCE = text("SET LOCAL plan_cache_mode = force_generic_plan")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use recipevault.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


_WRITES = "recipevault_writes"
_WROTE = "recipevault_wrote"
_WRITE_BEHIND = "recipevault_write_behind"
_ON_COMMIT = "recipevault_on_commit"
_ON_ROLLBACK = "recipevault_on_rollback"


def on_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the unit of work has committed (mail, jobs, cache purges):
    never for work that was rolled back."""
    _follow(session, _ON_COMMIT, callback)


def on_rollback(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` if the unit of work is rolled back whole (to do again what it lost):
    never once it has committed."""
    _follow(session, _ON_ROLLBACK, callback)


def _follow(session: AsyncSession, outcome: str, callback: Callable[[], None]) -> None:
    sync_session = session.sync_session
    if not event.contains(sync_session, "after_soft_rollback", _after_rollback):
        # Whoever ends the work (a request, a job's item, a command), the callbacks follow.
        event.listen(sync_session, "after_soft_rollback", _after_rollback)
        event.listen(sync_session, "after_commit", _after_commit)
    session.info.setdefault(outcome, []).append(callback)


def _after_rollback(session: Any, previous_transaction: Any) -> None:
    # Only the whole unit of work: a savepoint rolled back inside it changes nothing here.
    if previous_transaction.parent is None:
        session.info.pop(_ON_COMMIT, None)
        for callback in session.info.pop(_ON_ROLLBACK, []):
            callback()


def _after_commit(session: Any) -> None:
    session.info.pop(_ON_ROLLBACK, None)
    _run_on_commit(session)


def _run_on_commit(session: Any) -> None:
    for callback in session.info.pop(_ON_COMMIT, []):
        callback()


async def write_soon(
    source: AsyncSession | Database,
    statement: Executable,
    key: Hashable,
    parameters: dict[str, Any],
) -> None:
    """Write a mark (see ``db.write_behind``) with this session's unit of work if it is one that
    writes, else (or if that work is rolled back, or there is no session) soon after, on its
    own: never wait for another transaction."""
    if isinstance(source, Database):
        await source.write_behind.add(statement, key, parameters)
        return
    session = source
    behind: WriteBehind = session.info[_WRITE_BEHIND]
    if not session.info[_WRITES]:
        await behind.add(statement, key, parameters)
        return
    connection = await session.connection()
    await connection.execute(statement, parameters)
    on_rollback(session, partial(behind.hand_over, statement, key, parameters))


def _sqlite_file(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int, foreign_keys: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself, so we choose its kind
        # and SAVEPOINTs work (the sqlite3 module's own transaction handling breaks both).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


_RECYCLE_S = 1800
"""Connections older than this are closed and opened again on their next use."""


def create_engine(
    settings: Settings, *, sqlite_writer: bool = False, foreign_keys: bool = True
) -> AsyncEngine:
    """The engine for ``settings``; with ``sqlite_writer``, a SQLite file's engine for writes:
    one connection, which writers queue for (see the module's docstring). ``foreign_keys=False``
    is for migrations on SQLite, which rebuild a table by dropping it: with foreign keys
    enforced, that deletes every row that cascades from it (they check the keys themselves once
    done)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if path is not None:
            options["async_creator"] = sqlite_connection.connector(
                path,
                writers_turns=sqlite_writer,
                busy_timeout_s=settings.sqlite_busy_timeout_ms / 1000,
            )
        if sqlite_writer:
            options |= {"pool_size": 1, "max_overflow": 0, "pool_timeout": settings.db_pool_timeout}
        engine = create_async_engine(url, echo=settings.db_echo, hide_parameters=True, **options)
        _configure_sqlite(
            engine, busy_timeout_ms=settings.sqlite_busy_timeout_ms, foreign_keys=foreign_keys
        )
        return engine
    return create_async_engine(
        url,
        echo=settings.db_echo,
        # Parameters hold password and token hashes: keep them out of logs and error messages.
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        pool_recycle=_RECYCLE_S,
    )


class Reads(Protocol):
    """Read-only Core statements and their rows, read by position."""

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
    ) -> Sequence[Any]:
        """Its rows; ``heavy`` ones (many rows, or a long scan) may run off the event loop."""
        ...

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None: ...


class _ReaderReads:
    __slots__ = ("_reader",)

    def __init__(self, reader: SqliteReader) -> None:
        self._reader = reader

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
    ) -> Sequence[Any]:
        if heavy:
            return await self._reader.execute_in_thread(statement, parameters)
        return self._reader.execute(statement, parameters)

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        return self._reader.first(statement, parameters)


class _ConnectionReads:
    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
    ) -> Sequence[Any]:
        return (await self._connection.execute(statement, parameters)).all()

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        return (await self._connection.execute(statement, parameters)).first()


async def first_row(
    source: Database | AsyncSession, statement: Executable, parameters: dict[str, Any] | None = None
) -> Sequence[Any] | None:
    """The first row of a read-only Core statement, or None: in a session's transaction (so it
    sees what the session wrote), or through the database as committed (``Database.first``)."""
    if isinstance(source, AsyncSession):
        return (await (await source.connection()).execute(statement, parameters)).first()
    return await source.first(statement, parameters)


async def read_rows(
    source: Database | AsyncSession,
    statement: Executable,
    parameters: dict[str, Any] | None = None,
    *,
    heavy: bool = False,
) -> Sequence[Any]:
    """The rows of a read-only Core statement: in a session's unit of work (so it sees what the
    session wrote), or through the database as committed (``Database.rows``, which says what
    ``heavy`` does)."""
    if isinstance(source, AsyncSession):
        # Flushed first, as the session would before a query of its own; then run as Core, so
        # that no ORM loading reads the rows (it looks columns up by expression, and a coerced
        # column is not found that way).
        await source.flush()
        return (await (await source.connection()).execute(statement, parameters)).all()
    return await source.rows(statement, parameters, heavy=heavy)


class Database:
    """An engine and the sessions made from it; one per process, opened by the app lifespan."""

    def __init__(
        self,
        bind: AsyncEngine | AsyncConnection,
        *,
        owns_engine: bool = True,
        reader: SqliteReader | None = None,
        writer: AsyncEngine | None = None,
        postgres_reader: PostgresReader | None = None,
    ) -> None:
        self.bind = bind
        self.reader = reader
        self.postgres_reader = postgres_reader
        self._writer = writer
        self._owns_engine = owns_engine and isinstance(bind, AsyncEngine)
        options: dict[str, Any] = {"expire_on_commit": False}
        self._read_sessions: async_sessionmaker[AsyncSession]
        self._write_sessions: async_sessionmaker[AsyncSession]
        if isinstance(bind, AsyncConnection):
            # Tests run each case inside an outer transaction that is rolled back; code under
            # test may still commit, which then only releases a savepoint.
            options["join_transaction_mode"] = "create_savepoint"
            self._read_sessions = async_sessionmaker(bind, **options)
            self._write_sessions = self._read_sessions
        else:
            self._read_sessions = async_sessionmaker(bind, **options)
            self._write_sessions = async_sessionmaker(
                (writer or bind).execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"}),
                **options,
            )
        # Sharing a test's connection, marks are written at once: a task of their own would
        # use that connection at the same time as the test.
        self.write_behind = WriteBehind(
            lambda: self.session(write=True), automatic=isinstance(bind, AsyncEngine)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        url = make_url(settings.database_url)
        if url.get_backend_name() == "sqlite" and _sqlite_file(url) is not None:
            return cls(
                create_engine(settings),
                reader=SqliteReader(url, busy_timeout_ms=settings.sqlite_busy_timeout_ms),
                writer=create_engine(settings, sqlite_writer=True),
            )
        engine = create_engine(settings)
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
            reader = PostgresReader(
                url,
                engine.dialect,
                size=settings.db_pool_size,
                timeout=settings.db_pool_timeout,
                recycle=_RECYCLE_S,
            )
            return cls(engine, postgres_reader=reader)
        return cls(engine)

    @property
    def dialect_name(self) -> str:
        return self.bind.dialect.name

    def session(self, *, write: bool = True) -> AsyncSession:
        session = (self._write_sessions if write else self._read_sessions)()
        session.info[_WRITES] = write
        session.info[_WRITE_BEHIND] = self.write_behind
        return session

    @asynccontextmanager
    async def reading(self, *, plan_once: bool = False) -> AsyncIterator[AsyncConnection]:
        """A pooled connection for read-only Core statements, without the cost of an ORM
        session (for requests that have none). Tests share their own connection.

        It runs in autocommit: each statement is its own snapshot, with no BEGIN before it and
        no ROLLBACK when the connection goes back, two round trips fewer per read on
        PostgreSQL. Statements run one after another may see a commit land between them.

        ``plan_once``, on PostgreSQL: the statements are planned once per connection and the
        plan kept, whatever their parameters, in a transaction of their own (the setting lasts
        until its end). For a statement whose plan is built not to depend on its parameters
        but which takes milliseconds to plan: left to choose, PostgreSQL may plan it again on
        every run when the parameters make one plan look a little cheaper."""
        plan_once = plan_once and self.dialect_name == "postgresql"
        if isinstance(self.bind, AsyncConnection):
            if plan_once:
                await self.bind.execute(_PLAN_ONCE)
            yield self.bind
            return
        async with self.bind.connect() as connection:
            if plan_once:
                await connection.execute(_PLAN_ONCE)  # begins the transaction
                yield connection
            else:
                yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def reads(self, *, plan_once: bool = False) -> AsyncIterator[Reads]:
        """Read-only Core statements for code that has no session (a safe request's hot
        reads), as committed, however many run: on SQLite through the reader, on the calling
        thread; on PostgreSQL through its reader (``postgres_reader``), on one of its
        connections taken once, as prepared statements; elsewhere on one pooled connection
        taken once (``reading``, which also says what ``plan_once`` does)."""
        if self.reader is not None:
            yield _ReaderReads(self.reader)
            return
        if self.postgres_reader is not None:
            async with self.postgres_reader.connection(plan_once=plan_once) as connection:
                yield connection
            return
        async with self.reading(plan_once=plan_once) as connection:
            yield _ConnectionReads(connection)

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
        plan_once: bool = False,
    ) -> Sequence[Any]:
        """The rows of one read-only statement (see ``reads``)."""
        if self.reader is not None and not heavy:
            # The hottest path (a caller's identity, a listing): no context to enter.
            return self.reader.execute(statement, parameters)
        async with self.reads(plan_once=plan_once) as read:
            return await read.rows(statement, parameters, heavy=heavy)

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        """The first row of one read-only statement, or None (see ``reads``)."""
        if self.reader is not None:
            return self.reader.first(statement, parameters)
        async with self.reads() as read:
            return await read.first(statement, parameters)

    async def settle(self) -> None:
        """After a bulk load, on PostgreSQL: vacuum and analyze now, as autovacuum would soon
        after, in the middle of whatever the server is doing then. The planner then knows the
        new rows, and the first reads of their pages do not have to write to them (setting hint
        bits). SQLite keeps no statistics unless asked, and needs neither."""
        if self.dialect_name != "postgresql" or not isinstance(self.bind, AsyncEngine):
            return
        async with self.bind.connect() as connection:
            outside_transaction = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await outside_transaction.execute(text("VACUUM (ANALYZE)"))

    async def dispose(self) -> None:
        await self.write_behind.close()
        if self.reader is not None:
            self.reader.dispose()
        if self.postgres_reader is not None:
            await self.postgres_reader.dispose()
        if self._owns_engine:
            assert isinstance(self.bind, AsyncEngine)
            await self.bind.dispose()
            if self._writer is not None:
                await self._writer.dispose()


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed once after the route returns, before the response
    is sent (the dependency is declared with ``scope="function"``), rolled back on any error."""
    database: Database = request.app.state.database
    session = database.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
    except AppError as exc:
        # Some refusals are themselves worth keeping (a failed sign-in counts toward a
        # lockout and is audited); the error says so.
        if exc.keep_changes:
            await _commit(session)
        elif _touched(session):
            await session.rollback()
        raise
    except BaseException:
        if _touched(session):
            await session.rollback()
        raise
    else:
        await _commit(session)
    finally:
        if _touched(session):
            await session.close()


def _touched(session: AsyncSession) -> bool:
    """Whether the session holds a transaction or unflushed objects. Many reads never touch
    theirs (anonymous reads served from stored documents), and then committing and closing
    it would cost a greenlet round trip each for nothing."""
    return session.in_transaction() or bool(session.new or session.dirty or session.deleted)


async def _commit(session: AsyncSession) -> None:
    if _touched(session):
        await session.commit()
    _run_on_commit(session)


def upsert(
    session: AsyncSession, model: Any, *, on: Sequence[str] = (), update: Sequence[str] = ()
) -> Any:
    """An INSERT into ``model``'s table in the session's dialect, which takes
    ``on_conflict_do_nothing`` (skip the rows a unique constraint already holds) and
    ``on_conflict_do_update`` (change them instead). SQLite and PostgreSQL spell these alike,
    from different modules: features take them from here and never choose by the dialect
    (``tests/db/test_db.py`` checks it).

    With ``update``, the whole statement for a write repeated often: a row whose ``on``
    columns are taken gets the new values of the ``update`` columns. It is made once per
    dialect and run with the rows as parameters (building one costs about as much as a small
    write)."""
    dialect = session.get_bind().dialect.name
    if update:
        if not on:
            raise ValueError("An upsert that updates names the columns a conflict is on.")
        return _updating(dialect, model, tuple(on), tuple(update))
    return _insert(dialect)(model)


def _insert(dialect: str) -> Callable[[Any], Any]:
    return pg_insert if dialect == "postgresql" else sqlite_insert


@cache
def _updating(dialect: str, model: Any, on: tuple[str, ...], update: tuple[str, ...]) -> Any:
    statement = _insert(dialect)(model)
    return statement.on_conflict_do_update(
        index_elements=list(on), set_={name: statement.excluded[name] for name in update}
    )


async def transaction_lock(session: AsyncSession, name: str) -> None:
    """Hold the lock called ``name`` until the session's transaction ends; whoever takes it
    meanwhile waits. For a decision read and then written in one transaction that two
    requests must not both make (who registered first). On PostgreSQL an advisory lock; on
    SQLite writes already run one at a time (``BEGIN IMMEDIATE``), so there is none to take."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def before_slow_work(session: AsyncSession) -> None:
    """End the unit of work's transaction before slow work in it (a password check, tens of
    milliseconds of CPU), if it has written nothing yet: the transaction holds SQLite's write
    lock (on PostgreSQL, a pooled connection), which every other writer would wait for
    meanwhile. The next statement begins a new one. What it read is expired: read it again
    after the slow work, when it may have changed. A unit of work that has written keeps its
    transaction (and the lock): nothing is ever dropped for speed."""
    if session.in_transaction() and not _wrote(session):
        await session.rollback()


def _wrote(session: AsyncSession) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _flush_context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _note_write(state: ORMExecuteState) -> None:
    statement = state.statement
    writes = state.is_insert or state.is_update or state.is_delete
    if writes or (isinstance(statement, TextClause) and not _reads(statement.text)):
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def _reads(sql: str) -> bool:
    return sql.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


@asynccontextmanager
async def undo_on_error(session: AsyncSession) -> AsyncIterator[None]:
    """A step of the request's unit of work whose changes an ``AppError`` undoes (unless the
    error says to keep them), for pages that show the error beside a form and then commit the
    rest normally: a reset link whose new password was refused must stay usable.

    A step that ends the transaction before slow work (``before_slow_work``) ends this
    savepoint too, having changed nothing; what it does afterwards is undone the same way."""
    savepoint = await session.begin_nested()
    try:
        yield
    except AppError as exc:
        if not savepoint.is_active:
            if not exc.keep_changes:
                await session.rollback()
        elif exc.keep_changes:
            await savepoint.commit()
        else:
            await savepoint.rollback()
        raise
    else:
        if savepoint.is_active:
            await savepoint.commit()
