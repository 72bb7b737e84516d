"""Read-only Core statements run straight through the sqlite3 driver.

SQLAlchemy's execution of a compiled, cached statement (an execution context, parameter
processing, a result object, rows) costs about 0.09 ms on SQLite, as much as the query for a
page of 20 summaries. A ``DriverStatement`` does what that execution does for the statements
``SqliteReader`` runs, once per statement where it can: the SQL is compiled once, and each call
only builds the parameter list (defaults, type conversions, ``IN`` lists) and fetches plain
tuples. Statements whose result values SQLAlchemy would convert (dates read back as datetimes,
say) are left to SQLAlchemy, as is a call with an empty ``IN`` list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Executable
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.sqltypes import TupleType
from sqlalchemy.types import TypeEngine

_EXPANDED = "(__[POSTCOMPILE_{}])"


def _converts_results(type_: TypeEngine[Any], dialect: Dialect) -> bool:
    return type_.dialect_impl(dialect).result_processor(dialect, None) is not None


class DriverStatement:
    """A statement compiled for the sqlite3 driver (qmark parameters), and how a call's
    parameters are bound to it."""

    __slots__ = ("_compiled", "_expanding", "_names", "_processors", "sql")

    def __init__(self, compiled: SQLCompiler, names: Sequence[str], dialect: Dialect) -> None:
        self._compiled = compiled
        self._names = tuple(names)
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name in self._names:
            processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor
        self._expanding = frozenset(name for name in self._names if compiled.binds[name].expanding)
        self.sql = compiled.string

    @classmethod
    def compile(cls, statement: Executable, dialect: Dialect) -> DriverStatement | None:
        """The statement compiled for the driver, or None when SQLAlchemy must run it: it is not
        a SELECT, or some value it returns would be converted on the way out."""
        columns = getattr(statement, "selected_columns", None)
        if not isinstance(statement, ClauseElement) or columns is None:
            return None
        if any(_converts_results(column.type, dialect) for column in columns):
            return None
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
            return None
        # Values written into the SQL at execution (``literal_execute``) and lists of tuples are
        # SQLAlchemy's to render; plain ``IN`` lists are expanded here.
        if compiled.literal_execute_params:
            return None
        for bind in compiled.post_compile_params:
            if not bind.expanding or isinstance(bind.type, TupleType):
                return None
            if _EXPANDED.format(compiled.bind_names[bind]) not in compiled.string:
                return None
        return cls(compiled, compiled.positiontup, dialect)

    def bind(self, parameters: Mapping[str, Any] | None) -> tuple[str, list[Any]] | None:
        """The SQL and the driver's parameters for one call, or None when SQLAlchemy must run it
        (an empty ``IN`` list, which it writes as a special expression)."""
        given = self._compiled.construct_params(dict(parameters or {}))
        sql = self.sql
        values: list[Any] = []
        for name in self._names:
            value = given[name]
            processor = self._processors.get(name)
            if name in self._expanding:
                if not value:
                    return None
                marks = ", ".join("?" * len(value))
                sql = sql.replace(_EXPANDED.format(name), f"({marks})")
                values.extend(value if processor is None else map(processor, value))
            else:
                values.append(value if processor is None else processor(value))
        return sql, values
