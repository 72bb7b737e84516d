"""Small marks written beside the work that asked for them ("last used", "last seen").

A mark is one idempotent UPDATE (its statement and parameters), known by a key.
``db.write_soon`` puts it where it costs nothing and waits for nothing:

- in a session that writes (a request's unit of work), it runs there and then: the session holds
  the write transaction already, and a transaction of its own would queue behind it (on SQLite
  it would wait out the busy timeout behind its own request);
- otherwise, or when that unit of work is rolled back, the database's ``WriteBehind`` writes it
  after the response: the marks due are kept by key (the newest wins) and written together, one
  executemany per statement, in one short transaction; a busy database only delays them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

log = structlog.get_logger(__name__)

# Marks asked for within this long of each other are written together.
GATHER_SECONDS = 0.05
# After a failed write, the next try waits this long, doubling up to the maximum.
RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
# A mark just written is not written again for this long, whoever asks (a request that read
# the old value before the write committed would otherwise ask again at once).
SETTLE_SECONDS = 60.0
CLOSE_TIMEOUT_SECONDS = 5.0


class WriteBehind:
    """Marks waiting to be written, and the task that writes them.

    Not ``automatic`` (a database sharing a test's connection, which a task of its own would
    use at the same time as the test), ``add`` writes its mark at once instead."""

    def __init__(self, sessions: Callable[[], AsyncSession], *, automatic: bool = True) -> None:
        self._sessions = sessions
        self.automatic = automatic
        self._pending: dict[Executable, dict[Hashable, dict[str, Any]]] = {}
        self._written: dict[tuple[Executable, Hashable], float] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        return sum(len(marks) for marks in self._pending.values())

    async def add(self, statement: Executable, key: Hashable, parameters: dict[str, Any]) -> None:
        self.hand_over(statement, key, parameters)
        if not self.automatic:
            await self.flush()

    def hand_over(self, statement: Executable, key: Hashable, parameters: dict[str, Any]) -> None:
        """Keep a mark to write (the newest for its key wins) and see that it will be."""
        written = self._written.get((statement, key))
        if written is not None and time.monotonic() - written < SETTLE_SECONDS:
            return
        self._pending.setdefault(statement, {})[key] = parameters
        if self.automatic and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._write_until_done())

    async def _write_until_done(self) -> None:
        delay = GATHER_SECONDS
        try:
            while self._pending:
                await asyncio.sleep(delay)
                try:
                    await self.flush()
                    delay = GATHER_SECONDS
                except Exception as exc:
                    delay = min(max(delay * 2, RETRY_SECONDS), MAX_RETRY_SECONDS)
                    log.warning("marks not written yet", error=str(exc), retry_in=delay)
        finally:
            self._task = None

    async def flush(self) -> None:
        """Write every pending mark now, in one transaction; on failure they stay pending
        (unless a newer mark for the same key arrived meanwhile)."""
        batch, self._pending = self._pending, {}
        if not batch:
            return
        now = time.monotonic()
        self._written = {k: t for k, t in self._written.items() if now - t < SETTLE_SECONDS}
        keys = [(statement, key) for statement, marks in batch.items() for key in marks]
        # Counted as written from now: marks asked for while this one is on its way are not
        # written again.
        self._written.update(dict.fromkeys(keys, now))
        try:
            async with self._sessions() as session:
                connection = await session.connection()
                for statement, marks in batch.items():
                    await connection.execute(statement, list(marks.values()))
                await session.commit()
        except BaseException:
            for written in keys:
                self._written.pop(written, None)
            for statement, marks in batch.items():
                waiting = self._pending.setdefault(statement, {})
                for key, parameters in marks.items():
                    waiting.setdefault(key, parameters)
            raise

    async def close(self) -> None:
        """Write what is still pending (bounded in time), then stop."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.flush()
        except Exception as exc:
            log.warning("marks dropped at shutdown", count=self.pending, error=str(exc))
