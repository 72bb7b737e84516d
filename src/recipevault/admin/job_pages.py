"""The admins' view of the site's background jobs: every job, newest first, by status; failed or
cancelled ones can be run again and waiting or running ones stopped.

Refusals (retrying a job that is running, cancelling one that has ended) come back as error
notices on the page the admin was looking at, which each row's form names.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from recipevault.accounts import service as accounts
from recipevault.deps import JobQueueDep, MarkPage, PageAdmin, SessionDep
from recipevault.errors import Conflict
from recipevault.http.pagination import CursorQuery
from recipevault.http.schemas import Id
from recipevault.jobs import service
from recipevault.jobs.models import JobStatus
from recipevault.jobs.pages import JOB_STATUSES, job_view
from recipevault.web.rendering import redirect, render, safe_next_url

router = APIRouter(prefix="/admin/jobs", include_in_schema=False, dependencies=[MarkPage])

JOBS_PAGE = "/admin/jobs"
PAGE_SIZE = 50
StatusParam = Annotated[str | None, Query(max_length=32)]


def _status(value: str | None) -> JobStatus | None:
    """A status from the filter; anything else shows every job."""
    try:
        return JobStatus(value) if value else None
    except ValueError:
        return None


def jobs_url(status: JobStatus | None, cursor: str | None = None) -> str:
    params = {
        key: value
        for key, value in (("status", status and status.value), ("cursor", cursor))
        if value
    }
    return JOBS_PAGE + (f"?{urlencode(params)}" if params else "")


@router.get("")
async def all_jobs(
    request: Request,
    identity: PageAdmin,
    session: SessionDep,
    status: StatusParam = None,
    cursor: CursorQuery = None,
) -> Response:
    chosen = _status(status)
    page = await service.list_jobs(
        session,
        viewer=identity.actor,
        everyone=True,
        status=chosen,
        limit=PAGE_SIZE,
        cursor=cursor or None,
    )
    owners = {job.owner_id for job in page.items if job.owner_id is not None}
    context = {
        "jobs": [job_view(job, viewer=identity) for job in page.items],
        "names": await accounts.display_names(session, owners),
        "statuses": [(value.value, label) for value, (label, _) in JOB_STATUSES.items()],
        "status": chosen.value if chosen else "",
        "here": jobs_url(chosen, cursor or None),
        "more_url": jobs_url(chosen, page.next) if page.next else None,
    }
    return render(request, "admin/jobs.html", context)


async def _back(request: Request) -> str:
    """The listing the admin acted from (the job's page, or a page of this list)."""
    submitted = (await request.form()).get("next")
    return safe_next_url(submitted if isinstance(submitted, str) else None, JOBS_PAGE)


@router.post("/{job_id:int}/retry")
async def retry(
    request: Request, job_id: Id, identity: PageAdmin, session: SessionDep, queue: JobQueueDep
) -> Response:
    back = await _back(request)
    try:
        await service.retry_job(session, queue=queue, viewer=identity.actor, job_id=job_id)
    except Conflict as exc:
        return redirect(request, back, flash=f"Job {job_id}: {exc.detail}", category="error")
    return redirect(request, back, flash=f"Job {job_id} is waiting to run again.")


@router.post("/{job_id:int}/cancel")
async def cancel(
    request: Request, job_id: Id, identity: PageAdmin, session: SessionDep
) -> Response:
    back = await _back(request)
    try:
        await service.cancel_job(session, viewer=identity.actor, job_id=job_id)
    except Conflict as exc:
        return redirect(request, back, flash=f"Job {job_id}: {exc.detail}", category="error")
    return redirect(request, back, flash=f"Job {job_id} is cancelled.")
