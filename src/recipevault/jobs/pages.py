"""Browser pages for background jobs: your jobs, one job's progress as it happens, cancelling.

A job's page polls ``/jobs/{id}/progress`` with htmx while the job waits or runs; the answer is
the progress section again (without the polling attributes once the job has ended, which stops
the polling), or 204 when nothing changed since the version the page shows. Without JavaScript
the page has a Refresh link. Who may see a job is the service's rule: its owner and site admins.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.clock import utcnow
from recipevault.deps import MarkPage, PageUser, SessionDep
from recipevault.http.pagination import CursorQuery
from recipevault.http.schemas import Id
from recipevault.jobs import kinds, service
from recipevault.jobs.models import ItemStatus, Job, JobItem, JobStatus
from recipevault.web.rendering import PAGE_HEADERS, redirect, render

router = APIRouter(prefix="/jobs", include_in_schema=False, dependencies=[MarkPage])

JOBS_PAGE = "/jobs"
PAGE_SIZE = 25
# A bulk import has at most a few hundred addresses; the page lists that many results.
ITEMS_SHOWN = 500
SeenParam = Annotated[str | None, Query(max_length=64)]

# Status: (label, badge modifier). Every badge also says its status in words.
JOB_STATUSES: dict[JobStatus, tuple[str, str]] = {
    JobStatus.QUEUED: ("Waiting", "badge--info"),
    JobStatus.RUNNING: ("Running", "badge--info"),
    JobStatus.DONE: ("Done", "badge--success"),
    JobStatus.FAILED: ("Failed", "badge--error"),
    JobStatus.CANCELLED: ("Cancelled", "badge--warning"),
}
ITEM_STATUSES: dict[ItemStatus, tuple[str, str]] = {
    ItemStatus.DONE: ("Done", "badge--success"),
    ItemStatus.FAILED: ("Failed", "badge--error"),
    ItemStatus.SKIPPED: ("Skipped", ""),
}
IMPORTED_ITEM_STATUSES = {
    **ITEM_STATUSES,
    ItemStatus.DONE: ("Imported", "badge--success"),
    ItemStatus.FAILED: ("Not imported", "badge--error"),
}


def job_url(job_id: int) -> str:
    return f"{JOBS_PAGE}/{job_id}"


def plain(message: str | None) -> str | None:
    """A message from a job as a sentence: capitalised, with a full stop."""
    if not message:
        return None
    text = message.strip()
    if not text.startswith(("http://", "https://")):
        text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def job_title(job: Job) -> str:
    """What the job is about, in a few words."""
    return kinds.describe(job.kind).title(job.payload or {})


@dataclass(frozen=True, slots=True)
class ItemView:
    position: int
    label: str
    status: str
    status_label: str
    badge: str
    message: str | None
    link: kinds.Link | None


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    kind: kinds.JobKind
    title: str
    owner_id: int | None
    status: str
    status_label: str
    badge: str
    finished: bool
    done: int
    total: int | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    # Why the job failed, or (while it waits to try again) what went wrong last time.
    error: str | None
    summary: str | None
    download_url: str | None = None
    download_until: datetime | None = None
    items: list[ItemView] = field(default_factory=list)
    more_items: int = 0
    version: str = ""

    @property
    def progress_text(self) -> str:
        if self.total is None:
            if self.status == JobStatus.QUEUED:
                return "Waiting for its turn."
            return "Getting started." if not self.finished else ""
        return f"{self.done} of {self.kind.items.count(self.total)} handled."

    @property
    def announcement(self) -> str:
        """What a screen reader hears when the status changes."""
        if self.finished:
            return f"The job has ended: {self.status_label.lower()}. {self.summary or ''}".strip()
        return f"The job is {self.status_label.lower()}."


def _download(job: Job, viewer: Identity, now: datetime) -> tuple[str | None, datetime | None]:
    """The export's download address while it lasts, for the person who made it (the file is
    theirs alone: admins get the page, not the download)."""
    result = job.result or {}
    if not kinds.describe(job.kind).download or job.status != JobStatus.DONE:
        return None, None
    if job.owner_id != viewer.user_id:
        return None, None
    if result.get("expired") or not result.get("download"):
        return None, None
    until = None
    if isinstance(result.get("expires_at"), str):
        until = datetime.fromisoformat(result["expires_at"])
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
        if until <= now:
            return None, None
    return str(result["download"]), until


def job_view(job: Job, *, viewer: Identity, items: list[ItemView] | None = None) -> JobView:
    label, badge = JOB_STATUSES[job.status]
    kind = kinds.describe(job.kind)
    download_url, download_until = _download(job, viewer, utcnow())
    return JobView(
        id=job.id,
        kind=kind,
        title=kind.title(job.payload or {}),
        owner_id=job.owner_id,
        status=job.status.value,
        status_label=label,
        badge=badge,
        finished=job.status.finished,
        done=job.progress_done,
        total=job.progress_total,
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        error=plain(job.error),
        summary=kind.summary(job.result or {}) if job.status == JobStatus.DONE else None,
        download_url=download_url,
        download_until=download_until,
        items=items or [],
    )


async def _links(
    session: AsyncSession, kind: kinds.JobKind, items: list[JobItem]
) -> Mapping[int, kinds.Link]:
    ids = list(dict.fromkeys(item.recipe_id for item in items if item.recipe_id is not None))
    return await kind.links(session, ids) if kind.links is not None and ids else {}


def _version(job: Job, shown: int) -> str:
    """Names what the page shows; the progress poll answers 204 while it still holds."""
    state = (job.progress_done, job.progress_total, shown, job.attempts, job.error, job.result)
    digest = hashlib.sha256(repr(state).encode()).hexdigest()[:12]
    return f"{job.status.value}.{digest}"


async def job_detail(session: AsyncSession, *, viewer: Identity, job_id: int) -> JobView:
    """The job with its items (the first ``ITEMS_SHOWN``) and links to the recipes it made."""
    job = await service.get_job(session, viewer=viewer.actor, job_id=job_id)
    rows = list(await service.job_items(session, job_id=job.id, limit=ITEMS_SHOWN))
    kind = kinds.describe(job.kind)
    links = await _links(session, kind, rows)
    statuses = IMPORTED_ITEM_STATUSES if kind.imports else ITEM_STATUSES
    items = []
    for row in rows:
        label, badge = statuses[row.status]
        message = row.message
        if row.status == ItemStatus.DONE and message in ("created", "updated"):
            message = "A new recipe." if message == "created" else "Your recipe, updated."
        items.append(
            ItemView(
                position=row.position,
                label=row.label,
                status=row.status.value,
                status_label=label,
                badge=badge,
                message=plain(message),
                link=links.get(row.recipe_id) if row.recipe_id is not None else None,
            )
        )
    view = job_view(job, viewer=viewer, items=items)
    more = max(0, job.progress_done - len(rows)) if len(rows) == ITEMS_SHOWN else 0
    return replace(view, more_items=more, version=_version(job, len(rows)))


def _list_url(cursor: str | None) -> str:
    return JOBS_PAGE + (f"?{urlencode({'cursor': cursor})}" if cursor else "")


@router.get("")
async def jobs(
    request: Request, identity: PageUser, session: SessionDep, cursor: CursorQuery = None
) -> Response:
    """Your own jobs, newest first (admins too: everyone's are on /admin/jobs)."""
    page = await service.list_jobs(
        session, viewer=identity.actor, limit=PAGE_SIZE, cursor=cursor or None
    )
    context = {
        "jobs": [job_view(job, viewer=identity) for job in page.items],
        "more_url": _list_url(page.next) if page.next else None,
        "older": bool(cursor),
    }
    return render(request, "jobs/list.html", context)


@router.get("/{job_id:int}")
async def job_page(
    request: Request, job_id: Id, identity: PageUser, session: SessionDep
) -> Response:
    view = await job_detail(session, viewer=identity, job_id=job_id)
    return render(request, "jobs/detail.html", {"job": view})


@router.get("/{job_id:int}/progress")
async def progress(
    request: Request,
    job_id: Id,
    identity: PageUser,
    session: SessionDep,
    seen: SeenParam = None,
) -> Response:
    """The progress section alone, for the page's polling: 204 while nothing changed."""
    view = await job_detail(session, viewer=identity, job_id=job_id)
    if seen == view.version:
        return Response(status_code=204, headers=PAGE_HEADERS)
    status_changed = seen is not None and seen.split(".", 1)[0] != view.status
    context = {
        "job": view,
        "announce": view.announcement if status_changed else None,
        # Once the job has ended, the actions (Cancel, Refresh) change with it.
        "swap_actions": view.finished,
    }
    return render(request, "jobs/_progress.html", context)


@router.post("/{job_id:int}/cancel")
async def cancel(request: Request, job_id: Id, identity: PageUser, session: SessionDep) -> Response:
    try:
        await service.cancel_job(session, viewer=identity.actor, job_id=job_id)
    except service.JobFinished as exc:
        return redirect(request, job_url(job_id), flash=exc.detail, category="error")
    return redirect(
        request, job_url(job_id), flash="The job is cancelled. What it finished is kept."
    )
