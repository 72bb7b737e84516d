"""Running one job: claim it, call its kind's handler, record every item, and end it.

A job is safe to run twice. It is claimed with one conditional UPDATE, so two workers never
run it at once; each item it handles is recorded in the same transaction as the item's work
(a recipe created, say), and a job that runs again skips the items already recorded.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.errors import AppError
from recipevault.jobs.models import ItemStatus, Job, JobItem, JobStatus
from recipevault.jobs.queue import JobQueue

log = structlog.get_logger("recipevault.jobs")

# Features whose modules declare job handlers; a worker imports them all.
HANDLER_MODULES: tuple[str, ...] = (
    "recipevault.importing.jobs",
    "recipevault.exporting.jobs",
    "recipevault.backup.jobs",
    "recipevault.recipes.images.jobs",
    "recipevault.recipes.jobs",
    "recipevault.planner.jobs",
    "recipevault.shopping.jobs",
)
UNEXPECTED = "the job stopped on an unexpected error; it has been logged (job {job_id})"


class TransientJobError(Exception):
    """A failure worth trying again later (a site timed out, a connection dropped)."""


class JobCancelled(Exception):
    """Someone cancelled the job while it ran; what it finished stays."""


class ItemRefused(Exception):
    """An item that cannot be done as it is (an unreadable file, a refused address): it fails
    alone, and its message, in plain words, is what the person who started the job is shown."""


Handler = Callable[["JobContext"], Awaitable[dict[str, Any] | None]]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _HANDLERS[kind] = handler
        return handler

    return register


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)


@dataclass(slots=True)
class ItemOutcome:
    """What one item came to; the handler fills it in inside ``JobContext.item``."""

    session: AsyncSession
    status: ItemStatus = ItemStatus.DONE
    message: str | None = None
    recipe_id: int | None = None


@dataclass(slots=True)
class JobContext:
    database: Database
    settings: Settings
    queue: JobQueue
    job_id: int
    kind: str
    owner_id: int | None
    payload: dict[str, Any]
    attempt: int
    final_attempt: bool
    _handled: set[int] | None = field(default=None)

    async def handled(self) -> set[int]:
        """Positions of the items an earlier run already recorded."""
        if self._handled is None:
            async with self.database.session(write=False) as session:
                rows = await session.scalars(
                    select(JobItem.position).where(JobItem.job_id == self.job_id)
                )
                self._handled = set(rows)
        return self._handled

    async def set_progress(self, done: int | None = None, total: int | None = None) -> None:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if done is not None:
            values["progress_done"] = done
        if total is not None:
            values["progress_total"] = total
        async with self.database.session() as session:
            await session.execute(update(Job).where(Job.id == self.job_id).values(**values))
            await session.commit()

    async def check_cancelled(self) -> None:
        async with self.database.session(write=False) as session:
            status = await session.scalar(select(Job.status).where(Job.id == self.job_id))
        if status == JobStatus.CANCELLED:
            raise JobCancelled

    @asynccontextmanager
    async def item(self, position: int, label: str) -> AsyncIterator[ItemOutcome]:
        """One item's work and its record, committed together. A refusal the person can act
        on (``ItemRefused``, ``AppError``) fails only this item; a transient error retries
        the job unless this is its last attempt; anything else fails the job."""
        await self.check_cancelled()
        label = label[:500]
        try:
            async with self.database.session() as session:
                outcome = ItemOutcome(session)
                yield outcome
                await _record(session, self.job_id, position, label, outcome)
                await session.commit()
        except (ItemRefused, AppError) as exc:
            await self._record_failure(position, label, _message(exc))
        except TransientJobError as exc:
            if not self.final_attempt:
                raise
            await self._record_failure(position, label, str(exc))
        (await self.handled()).add(position)

    async def _record_failure(self, position: int, label: str, message: str) -> None:
        async with self.database.session() as session:
            failed = ItemOutcome(session, status=ItemStatus.FAILED, message=message)
            await _record(session, self.job_id, position, label, failed)
            await session.commit()


def _message(exc: Exception) -> str:
    return exc.detail if isinstance(exc, AppError) else str(exc)


async def _record(
    session: AsyncSession, job_id: int, position: int, label: str, outcome: ItemOutcome
) -> None:
    await session.execute(
        insert(JobItem).values(
            job_id=job_id,
            position=position,
            label=label,
            status=outcome.status,
            message=outcome.message,
            recipe_id=outcome.recipe_id,
            created_at=utcnow(),
        )
    )
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(progress_done=Job.progress_done + 1, updated_at=utcnow())
    )


async def claim(database: Database, job_id: int, *, worker: str, stale_after: timedelta) -> bool:
    """Take the job if it is waiting, or if the worker running it stopped sending heartbeats."""
    now = utcnow()
    async with database.session() as session:
        result = await session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                or_(
                    Job.status == JobStatus.QUEUED,
                    and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - stale_after),
                ),
            )
            .values(
                status=JobStatus.RUNNING,
                worker=worker[:100],
                attempts=Job.attempts + 1,
                started_at=func.coalesce(Job.started_at, now),
                heartbeat_at=now,
                run_after=None,
                updated_at=now,
            )
        )
        await session.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


async def _finish(
    database: Database,
    job_id: int,
    status: JobStatus,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    now = utcnow()
    async with database.session() as session:
        # A job cancelled while it ran stays cancelled.
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
            .values(status=status, result=result, error=error, finished_at=now, updated_at=now)
        )
        if status == JobStatus.CANCELLED:
            await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.finished_at.is_(None))
                .values(finished_at=now, updated_at=now)
            )
        await session.commit()


async def _retry_later(
    database: Database, queue: JobQueue, job: Job, error: str, delay: int
) -> None:
    now = utcnow()
    async with database.session() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.RUNNING)
            .values(
                status=JobStatus.QUEUED,
                error=f"{error}; trying again in {delay} s",
                run_after=now + timedelta(seconds=delay),
                heartbeat_at=None,
                updated_at=now,
            )
        )
        await session.commit()
    queue.enqueue(job.id, delay_seconds=delay)


async def _heartbeat(database: Database, job_id: int, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            async with database.session() as session:
                beat = update(Job).where(Job.id == job_id).values(heartbeat_at=utcnow())
                await session.execute(beat)
                await session.commit()
        except Exception:
            # A beat missed (the database busy with the job's own long write) is no failure;
            # only beats missed for JOB_STALE_SECONDS make the job look abandoned.
            log.warning("job heartbeat missed", job_id=job_id, exc_info=True)


async def run_job(
    database: Database,
    settings: Settings,
    queue: JobQueue,
    job_id: int,
    *,
    worker: str,
    heartbeat_seconds: float | None,
) -> JobStatus | None:
    """Run the job if it can be claimed; return how it ended (None: not claimed)."""
    stale_after = timedelta(seconds=settings.job_stale_seconds)
    if not await claim(database, job_id, worker=worker, stale_after=stale_after):
        return None
    async with database.session(write=False) as session:
        job = await session.get_one(Job, job_id)
    handler = _HANDLERS.get(job.kind)
    bound = log.bind(job_id=job.id, kind=job.kind, attempt=job.attempts)
    if handler is None:
        await _finish(database, job.id, JobStatus.FAILED, error=f"unknown job kind {job.kind!r}")
        return JobStatus.FAILED
    context = JobContext(
        database=database,
        settings=settings,
        queue=queue,
        job_id=job.id,
        kind=job.kind,
        owner_id=job.owner_id,
        payload=dict(job.payload),
        attempt=job.attempts,
        final_attempt=job.attempts > settings.job_max_retries,
    )
    beating = (
        asyncio.create_task(_heartbeat(database, job.id, heartbeat_seconds))
        if heartbeat_seconds
        else None
    )
    bound.info("job started")
    try:
        result = await handler(context)
    except JobCancelled:
        await _finish(database, job.id, JobStatus.CANCELLED)
        bound.info("job cancelled")
        return JobStatus.CANCELLED
    except (ItemRefused, AppError) as exc:
        await _finish(database, job.id, JobStatus.FAILED, error=_message(exc))
        bound.info("job failed", error=_message(exc))
        return JobStatus.FAILED
    except TransientJobError as exc:
        if context.final_attempt:
            await _finish(database, job.id, JobStatus.FAILED, error=str(exc))
            return JobStatus.FAILED
        delay = settings.job_retry_delay_seconds * 2 ** (job.attempts - 1)
        await _retry_later(database, queue, job, str(exc), delay)
        bound.info("job will be retried", error=str(exc), delay=delay)
        return JobStatus.QUEUED
    except Exception:
        bound.exception("job crashed")
        await _finish(database, job.id, JobStatus.FAILED, error=UNEXPECTED.format(job_id=job.id))
        return JobStatus.FAILED
    finally:
        if beating is not None:
            beating.cancel()
            with suppress(asyncio.CancelledError):
                await beating
    await _finish(database, job.id, JobStatus.DONE, result=result)
    bound.info("job done")
    return JobStatus.DONE


async def recover_stale_jobs(
    database: Database, queue: JobQueue, *, stale_after: timedelta
) -> list[int]:
    """Queue again the jobs a dead worker held, and queued jobs whose message was lost."""
    now = utcnow()
    cutoff = now - stale_after
    async with database.session(write=False) as session:
        rows = await session.scalars(
            select(Job.id).where(
                or_(
                    and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < cutoff),
                    and_(
                        Job.status == JobStatus.QUEUED,
                        Job.updated_at < cutoff,
                        or_(Job.run_after.is_(None), Job.run_after < now),
                    ),
                )
            )
        )
        stale = list(rows)
    for job_id in stale:
        queue.enqueue(job_id)
    if stale:
        log.info("stale jobs queued again", job_ids=stale)
    return stale
