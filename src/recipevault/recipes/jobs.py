"""The recipes feature's part in the worker's upkeep: emptying the trash of old recipes."""

from __future__ import annotations

import time

import structlog

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.worker import MAINTENANCE
from recipevault.recipes.service import purge_trash

log = structlog.get_logger("recipevault.recipes")


class _Every:
    """Due at the first call, then once per ``seconds`` (in this process)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: float | None = None

    def due(self) -> bool:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.seconds:
            return False
        self._last = now
        return True


# The trash keeps recipes for days; looking once an hour is plenty (it scans the table).
_purge_schedule = _Every(3600.0)


async def purge_old_trash(database: Database, settings: Settings, queue: JobQueue) -> None:
    if not _purge_schedule.due():
        return
    async with database.session() as session:
        purged = await purge_trash(session, queue=queue)
        await session.commit()
    if purged:
        log.info("trash purged", recipes=purged)


MAINTENANCE.append(purge_old_trash)
