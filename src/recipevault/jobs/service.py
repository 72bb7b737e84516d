"""Jobs as people see them: start one (queued once the transaction commits), follow it,
cancel it, and, for admins, retry it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.db import on_commit
from recipevault.errors import Conflict, NotFound
from recipevault.http.pagination import Page, decode_id_cursor, encode_cursor
from recipevault.jobs.models import FINISHED, Job, JobItem, JobStatus
from recipevault.jobs.queue import JobQueue
from recipevault.policy import Actor


class JobNotFound(NotFound):
    code = "job-not-found"
    title = "Job not found"


class JobFinished(Conflict):
    code = "job-finished"
    title = "The job has already finished"


class JobNotRetryable(Conflict):
    code = "job-not-retryable"
    title = "Only failed or cancelled jobs can be retried"


async def create_job(
    session: AsyncSession,
    *,
    queue: JobQueue,
    kind: str,
    owner_id: int | None,
    payload: dict[str, Any],
    total: int | None = None,
) -> Job:
    """Add a job; it reaches the workers only once the caller's transaction commits."""
    job = Job(
        kind=kind,
        owner_id=owner_id,
        payload=payload,
        progress_total=total,
        status=JobStatus.QUEUED,
    )
    session.add(job)
    await session.flush()
    job_id = job.id
    on_commit(session, lambda: queue.enqueue(job_id))
    return job


async def get_job(session: AsyncSession, *, viewer: Actor, job_id: int) -> Job:
    """The viewer's own job, or any job for an admin; otherwise it does not exist."""
    job = await session.get(Job, job_id)
    if job is None or not (viewer.is_admin or job.owner_id == viewer.user_id):
        raise JobNotFound()
    return job


async def job_by_id(session: AsyncSession, job_id: int) -> Job:
    """A job as it is now, for the process that runs or follows it (the command line's
    progress bar): no viewer asks, so none is checked."""
    return await session.get_one(Job, job_id)


async def job_items(
    session: AsyncSession, *, job_id: int, after: int | None = None, limit: int = 100
) -> Sequence[JobItem]:
    query = select(JobItem).where(JobItem.job_id == job_id).order_by(JobItem.position)
    if after is not None:
        query = query.where(JobItem.position > after)
    return (await session.scalars(query.limit(limit))).all()


async def list_jobs(
    session: AsyncSession,
    *,
    viewer: Actor,
    everyone: bool = False,
    status: JobStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[Job]:
    """Newest first: the viewer's jobs, or (admins, ``everyone``) the whole site's."""
    query = select(Job).order_by(Job.id.desc()).limit(limit + 1)
    if not (everyone and viewer.is_admin):
        query = query.where(Job.owner_id == viewer.user_id)
    if status is not None:
        query = query.where(Job.status == status)
    if cursor:
        query = query.where(Job.id < decode_id_cursor(cursor))
    jobs = list((await session.scalars(query)).all())
    more = len(jobs) > limit
    jobs = jobs[:limit]
    return Page(items=jobs, next=encode_cursor({"id": jobs[-1].id}) if more else None)


async def cancel_job(session: AsyncSession, *, viewer: Actor, job_id: int) -> Job:
    """Stop a waiting or running job; a running one stops before its next item."""
    job = await get_job(session, viewer=viewer, job_id=job_id)
    if job.status in FINISHED:
        raise JobFinished(f"The job has already ended ({job.status.value}).")
    job.status = JobStatus.CANCELLED
    if job.started_at is None:
        job.finished_at = utcnow()
    await session.flush()
    return job


async def retry_job(session: AsyncSession, *, queue: JobQueue, viewer: Actor, job_id: int) -> Job:
    """Run a failed or cancelled job again (admins). Items it already handled are kept and
    skipped; the rest are tried again."""
    job = await get_job(session, viewer=viewer, job_id=job_id)
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise JobNotRetryable()
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.error = None
    job.finished_at = None
    job.heartbeat_at = None
    job.run_after = None
    await session.flush()
    on_commit(session, lambda: queue.enqueue(job_id))
    return job


async def done_before(
    session: AsyncSession, *, kind: str, finished_before: datetime, limit: int
) -> Sequence[Job]:
    """Jobs of ``kind`` that ended well before ``finished_before``, newest first (for the
    features that clean up after their jobs)."""
    statement = (
        select(Job)
        .where(Job.kind == kind, Job.status == JobStatus.DONE, Job.finished_at < finished_before)
        .order_by(Job.finished_at.desc())
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def set_result(session: AsyncSession, job: Job, result: dict[str, Any]) -> None:
    """Replace a finished job's result (a feature noting what became of it since)."""
    await session.execute(update(Job).where(Job.id == job.id).values(result=result))
