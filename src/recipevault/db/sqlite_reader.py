"""Short, read-only SQLite queries run on the calling thread, straight through the driver.

aiosqlite moves every step of a query (begin, execute, fetch, commit) to its worker thread and
back, about 0.2 ms each, while an indexed read of one row takes 10-20 µs in process: the
``SqliteReader`` runs the hot reads (a recipe, a page of summaries) on the calling thread, on a
connection of its own, and heavier ones in a worker thread.

SQLAlchemy's execution of a compiled, cached statement (an execution context, parameter
processing, a result object, rows) costs about 0.09 ms on SQLite, as much as the query for a
page of 20 summaries. A ``DriverStatement`` does what that execution does for the statements
the reader runs, once per statement where it can: the SQL is compiled once, and each call only
builds the parameter list (defaults, type conversions, ``IN`` lists) and fetches plain tuples,
whose values it reads back as SQLAlchemy would (dates as dates, by the same conversions) when
some need it (``read_back``, as the PostgreSQL reader does). A call with an empty ``IN`` list
is left to SQLAlchemy.

Only ``db.Database`` uses the reader: feature code asks the database for rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import anyio.to_thread
from sqlalchemy import Dialect, Executable, Integer, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.sqltypes import TupleType
from sqlalchemy.types import TypeEngine

from recipevault.db.statement_cache import StatementCache

Processor = Callable[[Any], Any]
_POST_COMPILED = "__[POSTCOMPILE_{}]"
_EXPANDED = f"({_POST_COMPILED})"


def _result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor | None:
    processor: Processor | None = type_.dialect_impl(dialect).result_processor(dialect, None)
    return processor


class DriverStatement:
    """A statement compiled for the sqlite3 driver (qmark parameters), how a call's parameters
    are bound to it, and how the values it returns are read back."""

    __slots__ = (
        "_compiled",
        "_defaults",
        "_expanding",
        "_keys",
        "_literal",
        "_names",
        "_processors",
        "_results",
        "sql",
    )

    def __init__(
        self,
        compiled: SQLCompiler,
        names: Sequence[str],
        dialect: Dialect,
        results: Sequence[tuple[int, Processor]] = (),
    ) -> None:
        self._compiled = compiled
        # The columns whose values SQLAlchemy converts on the way out, by position.
        self._results = tuple(results)
        self._names = tuple(names)
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name in self._names:
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        self._expanding = frozenset(name for name in self._names if compiled.binds[name].expanding)
        self._literal = frozenset(
            compiled.bind_names[bind] for bind in compiled.literal_execute_params
        )
        self.sql = compiled.string
        # What a call's parameters are looked up by, and the values written into the statement
        # (``visibility = 'public'``), bound without SQLAlchemy's ``construct_params`` unless a
        # parameter has a callable value or is missing (SQLAlchemy then says which).
        binds = [compiled.binds[name] for name in self._names]
        self._keys = tuple(bind.key for bind in binds)
        self._defaults: dict[str, Any] | None = {
            bind.key: bind.value
            for bind in binds
            if bind.value is not None and not bind.required and bind.callable is None
        }
        if any(bind.callable is not None for bind in binds):
            self._defaults = None

    @classmethod
    def compile(
        cls, statement: Executable, dialect: Dialect, *, read_back: bool = False
    ) -> DriverStatement | None:
        """The statement compiled for the driver, or None when SQLAlchemy must run it: it is not
        a SELECT, or (unless ``read_back``, which converts them as SQLAlchemy would) some value
        it returns would be converted on the way out."""
        columns = getattr(statement, "selected_columns", None)
        if not isinstance(statement, ClauseElement) or columns is None:
            return None
        results = [
            (position, processor)
            for position, column in enumerate(columns)
            if (processor := _result_processor(column.type, dialect)) is not None
        ]
        if results and not read_back:
            return None
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            return None
        # Values written into the SQL at execution (``literal_execute``) are written here when
        # they are integers, as SQLAlchemy writes them; others, and lists of tuples, are
        # SQLAlchemy's to render. Plain ``IN`` lists are expanded here.
        for bind in compiled.literal_execute_params:
            if not isinstance(bind.type, Integer) or bind.expanding:
                return None
            if _POST_COMPILED.format(compiled.bind_names[bind]) not in compiled.string:
                return None
        for bind in compiled.post_compile_params:
            if not bind.expanding or isinstance(bind.type, TupleType):
                return None
            if _EXPANDED.format(compiled.bind_names[bind]) not in compiled.string:
                return None
        return cls(compiled, compiled.positiontup, dialect, results)

    def bind(self, parameters: Mapping[str, Any] | None) -> tuple[str, list[Any]] | None:
        """The SQL and the driver's parameters for one call, or None when SQLAlchemy must run it
        (an empty ``IN`` list, which it writes as a special expression)."""
        given = parameters or {}
        defaults = self._defaults
        if defaults is None or not all(key in given or key in defaults for key in self._keys):
            return self._bind(self._compiled.construct_params(dict(given)), self._names)
        return self._bind({**defaults, **given}, self._keys)

    def read_back(self, rows: list[Any]) -> list[Any]:
        """The driver's rows as SQLAlchemy would return them, read by position."""
        results = self._results
        if not results:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for position, processor in results:
                values[position] = processor(values[position])
            converted.append(tuple(values))
        return converted

    def _bind(self, given: Mapping[str, Any], keys: Sequence[str]) -> tuple[str, list[Any]] | None:
        sql = self.sql
        values: list[Any] = []
        for name, key in zip(self._names, keys, strict=True):
            value = given[key]
            processor = self._processors.get(name)
            if name in self._literal:
                if not isinstance(value, int):
                    return None
                sql = sql.replace(_POST_COMPILED.format(name), str(int(value)))
            elif name in self._expanding:
                if not value:
                    return None
                marks = ", ".join("?" * len(value))
                sql = sql.replace(_EXPANDED.format(name), f"({marks})")
                values.extend(value if processor is None else map(processor, value))
            else:
                values.append(value if processor is None else processor(value))
        return sql, values


class SqliteReader:
    """Short, read-only SQLite queries run on the calling thread.

    aiosqlite moves every step of a query (begin, execute, fetch, commit) to its worker
    thread and back, about 0.2 ms each, while an indexed read of one row takes 10-20 µs in
    process. In WAL mode readers never wait for writers, so the hot reads (a recipe, a page of
    summaries) run here directly; heavier ones go through ``execute_in_thread``. Only safe
    requests use it: they see what is committed, which for them is everything there is."""

    def __init__(self, url: URL, *, busy_timeout_ms: int) -> None:
        # A connection serves one thread at a time (the pool hands it out), but not always the
        # same thread: the event loop's and the worker threads' reads share the pool.
        self.engine = sa_create_engine(
            url.set(drivername="sqlite"),
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=12,
            connect_args={"check_same_thread": False},
        )
        # Each calling thread (in practice the event loop's) keeps one connection checked out:
        # a pool checkout and return per read costs more than the read itself.
        self._own = threading.local()
        self._own_connections: list[Connection] = []
        self._own_lock = threading.Lock()
        self._statements = StatementCache(
            partial(DriverStatement.compile, dialect=self.engine.dialect, read_back=True)
        )

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.close()

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._own, "connection", None)
        if connection is None:
            # Autocommit: each statement is its own read transaction and sees every commit.
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with self._own_lock:
                self._own_connections.append(connection)
            self._own.connection = connection
        return connection

    def first(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any] | None:
        """The first row of a read-only statement, on the calling thread's own connection."""
        row: Sequence[Any] | None = self._read(
            self._connection(), statement, parameters, first=True
        )
        return row

    def execute(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any]:
        """The rows of a read-only statement, on the calling thread's own connection."""
        rows: Sequence[Any] = self._read(self._connection(), statement, parameters)
        return rows

    def _execute_pooled(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any]:
        with self.engine.connect() as connection:
            rows: Sequence[Any] = self._read(connection, statement, parameters)
            return rows

    async def execute_in_thread(
        self, statement: Executable, parameters: dict[str, Any] | None = None
    ) -> Sequence[Any]:
        # Worker threads come and go: they borrow from the pool rather than keep their own.
        return await anyio.to_thread.run_sync(self._execute_pooled, statement, parameters)

    def _read(
        self,
        connection: Connection,
        statement: Executable,
        parameters: dict[str, Any] | None,
        *,
        first: bool = False,
    ) -> Any:
        """The statement's rows (or its first row, or None): the driver's, read back as
        SQLAlchemy would, where it can run the statement (``DriverStatement``), else
        SQLAlchemy's; callers read either by position."""
        direct = self._statements.get(statement)
        bound = None if direct is None else direct.bind(parameters)
        if direct is None or bound is None:
            result = connection.execute(statement, parameters)
            return result.first() if first else result.fetchall()
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None
        cursor = driver_connection.execute(*bound)
        try:
            if first:
                row = cursor.fetchone()
                return None if row is None else direct.read_back([row])[0]
            return direct.read_back(cursor.fetchall())
        finally:
            cursor.close()  # an open statement would keep its read snapshot

    def dispose(self) -> None:
        with self._own_lock:
            for connection in self._own_connections:
                connection.close()
            self._own_connections.clear()
        self._own = threading.local()
        self.engine.dispose()
