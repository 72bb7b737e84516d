"""/api/v1/jobs: follow, cancel and (admins) retry background jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from recipevault.deps import AdminUser, CurrentUser, JobQueueDep, SessionDep
from recipevault.http.pagination import CursorQuery, Page
from recipevault.http.schemas import MAX_ID, Id
from recipevault.jobs import service
from recipevault.jobs.models import Job, JobStatus
from recipevault.jobs.schemas import JobItemRead, JobRead

router = APIRouter(tags=["jobs"], responses={401: {}, 404: {}})

Limit = Annotated[int, Query(ge=1, le=100)]
FIRST_ITEMS = 100


async def job_read(session: SessionDep, job: Job) -> JobRead:
    items = await service.job_items(session, job_id=job.id, limit=FIRST_ITEMS)
    read = JobRead.model_validate(job)
    read.items = [JobItemRead.model_validate(item) for item in items]
    return read


@router.get("/api/v1/jobs", response_model=Page[JobRead])
async def list_jobs(
    actor: CurrentUser,
    session: SessionDep,
    status: JobStatus | None = None,
    limit: Limit = 20,
    cursor: CursorQuery = None,
) -> Page[JobRead]:
    """Your jobs, newest first (items are left out; read one job for them)."""
    page = await service.list_jobs(session, viewer=actor, status=status, limit=limit, cursor=cursor)
    return Page(items=[JobRead.model_validate(job) for job in page.items], next=page.next)


@router.get("/api/v1/jobs/{job_id:int}", response_model=JobRead)
async def get_job(job_id: Id, actor: CurrentUser, session: SessionDep) -> JobRead:
    """A job's status, progress, result and first items. Its owner or an admin only."""
    job = await service.get_job(session, viewer=actor, job_id=job_id)
    return await job_read(session, job)


@router.get("/api/v1/jobs/{job_id:int}/items", response_model=list[JobItemRead])
async def list_items(
    job_id: Id,
    actor: CurrentUser,
    session: SessionDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Items after this position")
    ] = None,
    limit: Limit = 100,
) -> list[JobItemRead]:
    await service.get_job(session, viewer=actor, job_id=job_id)
    items = await service.job_items(session, job_id=job_id, after=after, limit=limit)
    return [JobItemRead.model_validate(item) for item in items]


@router.post("/api/v1/jobs/{job_id:int}/cancel", response_model=JobRead, responses={409: {}})
async def cancel_job(job_id: Id, actor: CurrentUser, session: SessionDep) -> JobRead:
    """Stop a job that has not ended; what it finished stays."""
    job = await service.cancel_job(session, viewer=actor, job_id=job_id)
    return await job_read(session, job)


@router.get("/api/v1/admin/jobs", response_model=Page[JobRead], responses={403: {}})
async def list_all_jobs(
    actor: AdminUser,
    session: SessionDep,
    status: JobStatus | None = None,
    limit: Limit = 50,
    cursor: CursorQuery = None,
) -> Page[JobRead]:
    """Every job on the site, newest first. Admins only."""
    page = await service.list_jobs(
        session, viewer=actor, everyone=True, status=status, limit=limit, cursor=cursor
    )
    return Page(items=[JobRead.model_validate(job) for job in page.items], next=page.next)


@router.post(
    "/api/v1/admin/jobs/{job_id:int}/retry", response_model=JobRead, responses={403: {}, 409: {}}
)
async def retry_job(
    job_id: Id, actor: AdminUser, session: SessionDep, queue: JobQueueDep
) -> JobRead:
    """Run a failed or cancelled job again; items it already handled are skipped."""
    job = await service.retry_job(session, queue=queue, viewer=actor, job_id=job_id)
    return await job_read(session, job)
