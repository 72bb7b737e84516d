"""The shopping lists' part in the worker's upkeep: forgetting old markers of removed items."""

from __future__ import annotations

import structlog

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.worker import MAINTENANCE
from recipevault.shopping.service import sweep_markers

log = structlog.get_logger("recipevault.shopping")


async def forget_old_markers(database: Database, settings: Settings, queue: JobQueue) -> None:
    """Forget items removed, and list operations made, more than 30 days ago (one indexed
    look per sweep when there are none)."""
    async with database.session() as session:
        forgotten = await sweep_markers(session, now=utcnow())
        await session.commit()
    if forgotten:
        log.info("removed shopping items forgotten", items=forgotten)


MAINTENANCE.append(forget_old_markers)
