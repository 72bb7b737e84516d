"""The planner's part in the worker's upkeep: planning rotations ahead as the weeks go by."""

from __future__ import annotations

import structlog

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.worker import MAINTENANCE
from recipevault.planner.templates.service import plan_rotations_ahead

log = structlog.get_logger("recipevault.planner")


async def plan_rotations(database: Database, settings: Settings, queue: JobQueue) -> None:
    """Plan every rotation's weeks up to its horizon; a rotation planned through it already
    costs nothing but the look (one indexed query per sweep)."""
    async with database.session() as session:
        weeks = await plan_rotations_ahead(session, today=utcnow().date())
        await session.commit()
    if weeks:
        log.info("rotations planned ahead", weeks=weeks)


MAINTENANCE.append(plan_rotations)
