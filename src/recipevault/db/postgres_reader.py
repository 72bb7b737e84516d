"""Short, read-only PostgreSQL queries straight through asyncpg, on connections of their own.

A read through SQLAlchemy's pool costs four round trips besides the query: the pool's
pre-ping on checkout is a transaction of its own (BEGIN, an empty query, ROLLBACK) on a
connection that is not in autocommit, and switching to autocommit and back costs more on each
side. The query itself (one indexed row, or a page of 20 summaries) takes a fraction of a
millisecond in the server. The ``PostgresReader`` keeps its own small pool of asyncpg
connections that only ever run committed, single-statement reads in autocommit, and runs each
statement as SQLAlchemy would send it (the same SQL, the same bound values, the same values
read back) as a prepared statement that asyncpg keeps per connection: parsed and planned by the
server once per connection, then executed with one round trip.

A connection that was idle in the pool and turns out broken (the server restarted) is
replaced and the read run again once, which is what the pre-ping was for. Errors are raised
as SQLAlchemy raises them (``DBAPIError`` with the driver's error as ``orig``; a pool that has
no connection free within the pool timeout raises ``sqlalchemy.exc.TimeoutError``), so callers
see the same failures either way.

Only ``db.Database`` uses the reader: feature code asks the database for rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg
from sqlalchemy import Dialect, Executable
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from recipevault.db.statement_cache import StatementCache

Processor = Callable[[Any], Any]
# The connection broke while it sat in the pool (the server closed it; asyncpg may then find
# the server's last message where it expects the answer to a new query): another one may well
# work.
_BROKEN = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)
# Statements planned once per connection and the plan kept, whatever their parameters, in a
# transaction of their own (the setting lasts until its end): see ``db.Database.reading``.
_BEGIN_PLAN_ONCE = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan"


class CompiledRead:
    """A statement compiled for asyncpg ($n parameters, with the casts SQLAlchemy renders), how
    a call's parameters are bound to it, and how the values it returns are read back: what
    SQLAlchemy's execution does, worked out once per statement."""

    __slots__ = (
        "_columns",
        "_compiled",
        "_dialect",
        "_expands",
        "_names",
        "_processors",
        "_results",
        "sql",
    )

    def __init__(
        self,
        compiled: SQLCompiler,
        dialect: Dialect,
        results: list[Processor | None],
        columns: Sequence[Any] | None = None,
    ):
        self._compiled = compiled
        self._dialect = dialect
        # Set while some column's values are read back by what the server says it is (a
        # number: numeric or double precision), known from the first read (``types_known``).
        self._columns = columns
        self._names = tuple(compiled.positiontup or ())
        self._processors: dict[str, Processor] = {}
        for name in self._names:
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        # ``IN`` lists and values written into the SQL at execution: SQLAlchemy renders the
        # statement for each call's values.
        self._expands = bool(compiled.post_compile_params or compiled.literal_execute_params)
        self._results = tuple(results) if any(results) else None
        self.sql = compiled.string

    @classmethod
    def compile(cls, statement: Executable, dialect: Dialect) -> CompiledRead:
        """The statement compiled for the driver; a read only (the reader's connections serve
        committed reads, and nothing they do is ever committed)."""
        compiled = (
            statement.compile(dialect=dialect) if isinstance(statement, ClauseElement) else None
        )
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            raise TypeError(f"not a statement the reader runs: {statement!r}")
        if compiled.isinsert or compiled.isupdate or compiled.isdelete:
            raise TypeError("the reader runs reads only")
        columns = list(getattr(statement, "selected_columns", ()))
        try:
            results = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in columns
            ]
        except (TypeError, InvalidRequestError):
            # SQLAlchemy reads some values back by the type the server gives (a number read
            # as a float): worked out on the first read (``types_known``).
            return cls(compiled, dialect, [], columns)
        return cls(compiled, dialect, results)

    @property
    def needs_types(self) -> bool:
        return self._columns is not None

    def types_known(self, type_ids: Sequence[int]) -> None:
        """The types (oids) of the columns as the server gives them: how each value is read
        back, as SQLAlchemy reads it back from a cursor's description."""
        dialect, columns = self._dialect, self._columns or ()
        results = [
            column.type.dialect_impl(dialect).result_processor(dialect, type_id)
            for column, type_id in zip(columns, type_ids, strict=True)
        ]
        self._results = tuple(results) if any(results) else None
        self._columns = None

    def bind(self, parameters: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
        """The SQL and the driver's parameters for one call."""
        if self._expands:
            state = self._compiled.construct_expanded_state(dict(parameters or {}))
            given, names, sql = state.parameters, state.positiontup or (), state.statement
            processors: Mapping[str, Processor] = state.processors
        else:
            given = self._compiled.construct_params(dict(parameters or {}))
            names, sql, processors = self._names, self.sql, self._processors
        values = []
        for name in names:
            processor = processors.get(name)
            values.append(given[name] if processor is None else processor(given[name]))
        return sql, values

    def read_back(self, records: Sequence[Any]) -> Sequence[Any]:
        """The rows as SQLAlchemy would return them, read by position."""
        results = self._results
        if results is None:
            return records
        return [
            tuple(
                value if p is None else p(value) for p, value in zip(results, record, strict=True)
            )
            for record in records
        ]


class _Held:
    __slots__ = ("connection", "opened")

    def __init__(self, connection: asyncpg.Connection, opened: float) -> None:
        self.connection = connection
        self.opened = opened


class PostgresReader:
    """Committed, read-only statements on PostgreSQL through a pool of asyncpg connections in
    autocommit: each statement is its own snapshot, as on the engine's pooled connections
    ``Database.reading`` hands out."""

    def __init__(
        self, url: URL, dialect: Dialect, *, size: int, timeout: float, recycle: float = 1800
    ) -> None:
        args, kwargs = dialect.create_connect_args(url)
        for adapter_option in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            kwargs.pop(adapter_option, None)  # SQLAlchemy's adapter's, not asyncpg's
        self._connect_args = (args, kwargs)
        self.dialect = dialect
        self._size = size
        self._timeout = timeout
        self._recycle = recycle
        # The connections not in use, the last returned first (it is the warmest); ``None``
        # stands for room to open one (a slot a broken connection left).
        self._free: asyncio.LifoQueue[_Held | None] | None = None
        self._opened = 0
        self.compiled = StatementCache(partial(CompiledRead.compile, dialect=dialect))

    @asynccontextmanager
    async def connection(self, *, plan_once: bool = False) -> AsyncIterator[ReaderConnection]:
        """One of the pool's connections, for as many statements as the caller runs."""
        held = await self._acquire()
        reads = ReaderConnection(self, held)
        try:
            if plan_once:
                await reads.begin_plan_once()
            yield reads
        except BaseException:
            # A statement cut short (the request cancelled) leaves the connection in a state
            # nobody knows; one whose caller failed after its reads is as good as ever.
            if reads.busy:
                self._discard(held)
            else:
                await self._release(held, reads)
            raise
        await self._release(held, reads)

    def _queue(self) -> asyncio.LifoQueue[_Held | None]:
        if self._free is None:
            self._free = asyncio.LifoQueue()
        return self._free

    async def _acquire(self) -> _Held:
        free = self._queue()
        try:
            held = free.get_nowait()
        except asyncio.QueueEmpty:
            if self._opened < self._size:
                self._opened += 1
                held = None
            else:
                try:
                    held = await asyncio.wait_for(free.get(), self._timeout)
                except TimeoutError:
                    raise PoolTimeout(
                        f"no PostgreSQL read connection free within {self._timeout} s"
                    ) from None
        if held is not None:
            if time.monotonic() - held.opened < self._recycle and not held.connection.is_closed():
                return held
            held.connection.terminate()
        try:
            return await self._open()
        except BaseException:
            free.put_nowait(None)
            raise

    async def _open(self) -> _Held:
        args, kwargs = self._connect_args
        try:
            connection = await asyncpg.connect(*args, **kwargs)
            await _set_up_as_sqlalchemy_does(self.dialect, connection)
        except (asyncpg.PostgresError, OSError) as exc:
            raise _wrapped(self.dialect, exc, "connect") from exc
        return _Held(connection, time.monotonic())

    async def _release(self, held: _Held, reads: ReaderConnection) -> None:
        if reads.in_transaction:
            try:
                await held.connection.execute("ROLLBACK")
            except BaseException:
                self._discard(held)
                raise
        if held.connection.is_closed() or held.connection.is_in_transaction():
            self._discard(held)
        else:
            self._queue().put_nowait(held)

    def _discard(self, held: _Held) -> None:
        """Close a connection that may be in any state (a read cancelled halfway) and leave
        its slot free."""
        held.connection.terminate()
        self._queue().put_nowait(None)

    async def replace(self, held: _Held) -> None:
        """Close a broken connection and open another in its place."""
        held.connection.terminate()
        fresh = await self._open()
        held.connection, held.opened = fresh.connection, fresh.opened

    async def dispose(self) -> None:
        free = self._queue()
        while not free.empty():
            held = free.get_nowait()
            if held is not None:
                held.connection.terminate()
        self._opened = 0


class ReaderConnection:
    """Statements on one of the reader's connections: ``db.Reads``."""

    __slots__ = ("_held", "_reader", "busy", "in_transaction")

    def __init__(self, reader: PostgresReader, held: _Held) -> None:
        self._reader = reader
        self._held = held
        self.in_transaction = False
        self.busy = False

    async def begin_plan_once(self) -> None:
        await self._run(lambda c: c.execute(_BEGIN_PLAN_ONCE), _BEGIN_PLAN_ONCE)
        self.in_transaction = True

    async def rows(
        self,
        statement: Executable,
        parameters: dict[str, Any] | None = None,
        *,
        heavy: bool = False,
    ) -> Sequence[Any]:
        compiled, sql, values = await self._bound(statement, parameters)
        records = await self._run(lambda c: c.fetch(sql, *values), sql)
        return compiled.read_back(records)

    async def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        compiled, sql, values = await self._bound(statement, parameters)
        record = await self._run(lambda c: c.fetchrow(sql, *values), sql)
        return None if record is None else compiled.read_back([record])[0]

    async def _bound(
        self, statement: Executable, parameters: dict[str, Any] | None
    ) -> tuple[CompiledRead, str, list[Any]]:
        compiled = self._reader.compiled.get(statement)
        sql, values = compiled.bind(parameters)
        if compiled.needs_types:
            # Once per statement: the types of its columns as the server describes them.
            prepared = await self._run(lambda c: c.prepare(sql), sql)
            compiled.types_known([attribute.type.oid for attribute in prepared.get_attributes()])
        return compiled, sql, values

    async def _run(self, call: Callable[[asyncpg.Connection], Awaitable[Any]], sql: str) -> Any:
        self.busy = True
        result = await self._attempt(call, sql)
        self.busy = False
        return result

    async def _attempt(self, call: Callable[[asyncpg.Connection], Awaitable[Any]], sql: str) -> Any:
        dialect = self._reader.dialect
        try:
            return await call(self._held.connection)
        except _BROKEN as exc:
            # Statements of a transaction begun on the broken connection cannot be run again
            # one alone.
            if self.in_transaction:
                raise _wrapped(dialect, exc, sql) from exc
        except asyncpg.PostgresError as exc:
            raise _wrapped(dialect, exc, sql) from exc
        await self._reader.replace(self._held)
        try:
            return await call(self._held.connection)
        except (*_BROKEN, asyncpg.PostgresError) as exc:
            raise _wrapped(dialect, exc, sql) from exc


class _Adapted:
    """What the dialect's connection set-up takes: the adapted connection SQLAlchemy wraps
    around asyncpg's, of which it uses the driver's connection alone."""

    __slots__ = ("_connection",)

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection


async def _set_up_as_sqlalchemy_does(dialect: Dialect, connection: asyncpg.Connection) -> None:
    """The codecs SQLAlchemy sets on each of its asyncpg connections (JSON decoded, inet as
    text when asked), so that values read here are the values read through it."""
    adapted = _Adapted(connection)
    set_up: Any = dialect
    await set_up.setup_asyncpg_json_codec(adapted)
    await set_up.setup_asyncpg_jsonb_codec(adapted)
    if getattr(dialect, "_native_inet_types", None) is False:
        await set_up._disable_asyncpg_inet_codecs(adapted)


def _wrapped(dialect: Dialect, exc: Exception, sql: str) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it: translated to the error class of its
    asyncpg adapter (which carries the ``sqlstate``), then wrapped in the ``DBAPIError`` the
    engine raises, with the parameters hidden as the engine hides them."""
    dbapi: Any = dialect.loaded_dbapi
    translated: Exception = exc
    for kind in type(exc).__mro__:
        if kind in dbapi._asyncpg_error_translate:
            translated = dbapi._asyncpg_error_translate[kind](exc.args[0] if exc.args else "", exc)
            break
    error = DBAPIError.instance(
        sql, None, translated, dbapi.Error, hide_parameters=True, dialect=dialect
    )
    assert isinstance(error, DBAPIError)
    return error
