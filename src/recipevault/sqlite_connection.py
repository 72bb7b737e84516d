"""aiosqlite connections that go to their thread only for what may wait.

aiosqlite runs every call on the connection's own thread: each is a round trip from the event
loop to that thread and back (two thread wake-ups: a tenth of a millisecond on an idle machine,
a millisecond or more on a busy one), and SQLAlchemy makes three or four calls per statement
(cursor, execute, fetch, close). A write of 40 statements held SQLite's write lock across some
160 round trips, each also waiting its turn on the event loop, and every other writer waited
for all of them.

Only a call that may wait for a lock needs the thread, so that the event loop never sleeps in
SQLite's busy handler: ``BEGIN IMMEDIATE`` (it waits for the write lock), a statement that may
write outside a transaction holding that lock, and ``COMMIT`` of a transaction that wrote (it
may checkpoint the WAL: writing and syncing the database file). Everything else runs on the
calling thread: in WAL mode a read never waits for a writer, and inside a transaction that holds
the write lock nothing waits at all. The calls stay one at a time: SQLAlchemy awaits each before
the next, whichever thread it runs on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite

# Statements that never take the write lock: they may run on the calling thread anywhere.
_READS = ("SELECT", "BEGIN DEFERRED")
# Calls that never wait for a lock (rollback only discards; cursors and fetches read).
_NEVER_WAIT = frozenset({"cursor", "fetchone", "fetchmany", "fetchall", "rollback"})
_STATEMENT_CALLS = frozenset({"execute", "executemany"})


class Connection(aiosqlite.Connection):
    # Whether the open transaction holds the write lock (it began IMMEDIATE, or wrote).
    _holds_lock = False

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        if connection is None or not self._running:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if not connection.in_transaction:
            self._holds_lock = False
        if not self._may_wait(fn, args):
            return fn(*args, **kwargs)
        result = await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        name = getattr(fn, "__name__", "")
        if name in _STATEMENT_CALLS:
            # Past a statement that may write, in a transaction, the lock is ours until it ends.
            self._holds_lock = connection.in_transaction
        elif name == "commit":
            self._holds_lock = False
        return result

    def _may_wait(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        name = getattr(fn, "__name__", "")
        if name in _NEVER_WAIT:
            return False
        if name == "close":
            return not isinstance(getattr(fn, "__self__", None), sqlite3.Cursor)
        if name == "commit":
            return self._holds_lock
        if name in _STATEMENT_CALLS and args and isinstance(args[0], str):
            return not (self._holds_lock or args[0].lstrip()[:16].upper().startswith(_READS))
        return True


def connector(path: Path | str) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy's aiosqlite dialect: a ``Connection`` to ``path``."""

    async def connect() -> Connection:
        # The calling thread uses the connection too, between the worker thread's calls.
        connection = Connection(
            lambda: sqlite3.connect(path, check_same_thread=False), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy does for its own
        await connection
        return connection

    return connect
