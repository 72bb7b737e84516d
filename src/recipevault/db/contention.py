"""A database too busy to answer now: 503 with Retry-After, never a 500.

Nothing is lost when it happens: the request's unit of work is rolled back whole, so the client
may send the request again. What counts as busy, by driver:

- SQLite: "database is locked" and its kin (SQLITE_BUSY, SQLITE_LOCKED and their extended
  codes), once the busy timeout has run out;
- PostgreSQL: serialization failure, deadlock, lock timeout, too many connections;
- the connection pool: no connection free within the pool timeout.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from recipevault.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 1
_SQLITE_BUSY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)
_POSTGRES_BUSY = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available (lock_timeout, NOWAIT)
        "53300",  # too_many_connections
    }
)
# The exception types that may mean "busy"; ``busy_error`` decides for each one raised.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    DBAPIError,
    PoolTimeout,
    sqlite3.Error,  # raised as they are by the SQLite reader (see sqlite_reader.SqliteReader)
)


class DatabaseBusy(ServiceUnavailable):
    code = "database-busy"
    title = "Busy, try again"

    def __init__(self) -> None:
        super().__init__(
            "The database is busy; nothing was changed. Try again in a moment.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def is_busy(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_BUSY
        return "locked" in str(cause)
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return state in _POSTGRES_BUSY


def busy_error(exc: Exception) -> DatabaseBusy | None:
    """The 503 to answer ``exc`` with, if it says the database is busy."""
    return DatabaseBusy() if is_busy(exc) else None
