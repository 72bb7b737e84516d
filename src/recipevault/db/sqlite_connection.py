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

Writers of different processes (several server workers, the job worker) take turns through a
lock file beside the database (``flock``) before ``BEGIN IMMEDIATE``, held until their
transaction ends. SQLite's own busy handler polls for the lock with sleeps of up to 100 ms, so a
process whose writers follow each other closely takes the lock again and again while the other
sleeps, until its busy timeout runs out; the kernel instead wakes a process waiting on the lock
file as soon as it is free. Waiting for a turn is bounded by the busy timeout too.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
import anyio.to_thread

# Statements that never take the write lock: they may run on the calling thread anywhere.
_READS = ("SELECT", "BEGIN DEFERRED")
# Calls that never wait for a lock (rollback only discards; cursors and fetches read).
_NEVER_WAIT = frozenset({"cursor", "fetchone", "fetchmany", "fetchall", "rollback"})
_STATEMENT_CALLS = frozenset({"execute", "executemany"})


class Connection(aiosqlite.Connection):
    # Whether the open transaction holds the write lock (it began IMMEDIATE, or wrote).
    _holds_lock = False
    _turns: WritersTurns | None = None

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        connection = self._connection
        name = getattr(fn, "__name__", "")
        closing = name == "close" and not isinstance(getattr(fn, "__self__", None), sqlite3.Cursor)
        if connection is None or not self._running or closing:
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        if not connection.in_transaction:
            self._holds_lock = False
        waits = self._may_wait(name, args)
        try:
            if not waits:
                return fn(*args, **kwargs)
            if self._turns is not None and name in _STATEMENT_CALLS:
                await self._turns.take()
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            # Past a statement that may write, the lock is ours until the transaction ends.
            took = waits and name in _STATEMENT_CALLS
            self._holds_lock = connection.in_transaction and (self._holds_lock or took)
            if self._turns is not None and not self._holds_lock:
                self._turns.give_back()

    def _may_wait(self, name: str, args: tuple[Any, ...]) -> bool:
        if name in _NEVER_WAIT or name == "close":  # a cursor's close
            return False
        if name == "commit":
            return self._holds_lock
        if name in _STATEMENT_CALLS and args and isinstance(args[0], str):
            return not (self._holds_lock or args[0].lstrip()[:16].upper().startswith(_READS))
        return True

    def stop(self) -> asyncio.Future[Any] | None:
        # Every way a connection ends (closed, terminated, collected) comes through here.
        if self._turns is not None:
            self._turns.close()
            self._turns = None
        return super().stop()


class WritersTurns:
    """The writers' turn of one connection among those of every process: an exclusive
    ``flock`` on the lock file, taken before the write lock and given back after."""

    def __init__(self, lock_file: Path, *, timeout_s: float) -> None:
        self._fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        self._timeout_s = timeout_s
        self._held = False

    async def take(self) -> None:
        if self._held:
            return
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await self._wait()
        self._held = True

    async def _wait(self) -> None:
        guard = threading.Lock()
        state = {"taken": False, "given_up": False}

        def wait_for_turn() -> None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            with guard:
                if state["given_up"]:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                else:
                    state["taken"] = True

        try:
            async with asyncio.timeout(self._timeout_s):
                await anyio.to_thread.run_sync(wait_for_turn, abandon_on_cancel=True)
        except TimeoutError:
            with guard:
                state["given_up"] = not state["taken"]
            if state["given_up"]:
                raise sqlite3.OperationalError("database is locked") from None

    def give_back(self) -> None:
        if self._held:
            self._held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.give_back()
        os.close(self._fd)


def connector(path: Path, *, writers_turns: bool, busy_timeout_s: float) -> Callable[[], Any]:
    """An ``async_creator`` for SQLAlchemy's aiosqlite dialect: a ``Connection`` to ``path``;
    with ``writers_turns``, one that takes its turn among the processes' writers."""

    async def connect() -> Connection:
        # The calling thread uses the connection too, between the worker thread's calls.
        connection = Connection(
            lambda: sqlite3.connect(path, check_same_thread=False), iter_chunk_size=64
        )
        connection._thread.daemon = True  # as SQLAlchemy does for its own
        if writers_turns:
            lock_file = path.with_name(path.name + "-writers")
            connection._turns = WritersTurns(lock_file, timeout_s=busy_timeout_s)
        await connection
        return connection

    return connect
