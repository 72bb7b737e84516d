"""Export use cases: start an export job, and hand its file to its owner while it lasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.errors import AppError, Conflict, NotFound
from recipevault.jobs.kinds import JobKind, Link, Noun, register
from recipevault.jobs.models import Job, JobStatus
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.service import JobNotFound, create_job, get_job
from recipevault.policy import Actor

EXPORT = "export"

register(
    JobKind(
        name=EXPORT,
        title=lambda payload: (
            "Export as CSV" if payload.get("format") == "csv" else "Export as a zip archive"
        ),
        summary=lambda result: (
            f"{Noun('recipe', 'recipes').count(int(result.get('recipes') or 0))} exported."
        ),
        items=Noun("recipe", "recipes"),
        download=True,
        again=Link("/exports", "Start another export"),
    )
)


class ExportNotFound(NotFound):
    code = "export-not-found"
    title = "Export not found"


class ExportNotReady(Conflict):
    code = "export-not-ready"
    title = "The export is not ready"


class ExportExpired(AppError):
    status_code = 410
    code = "export-expired"
    title = "The export has expired; start a new one"


@dataclass(frozen=True, slots=True)
class ExportFile:
    media_key: str
    file_name: str
    content_type: str


async def start_export(
    session: AsyncSession, *, queue: JobQueue, actor: Actor, file_format: str
) -> Job:
    return await create_job(
        session, queue=queue, kind=EXPORT, owner_id=actor.user_id, payload={"format": file_format}
    )


async def export_file(
    session: AsyncSession, *, actor: Actor, job_id: int, now: datetime, ttl: timedelta
) -> ExportFile:
    """The finished export's file, for its owner only (admins included: it is their data)."""
    try:
        job = await get_job(session, viewer=actor, job_id=job_id)
    except JobNotFound:
        raise ExportNotFound() from None
    if job.kind != EXPORT or job.owner_id != actor.user_id:
        raise ExportNotFound()
    if job.status != JobStatus.DONE or job.result is None:
        raise ExportNotReady(f"The export is {job.status.value}.")
    if job.result.get("expired") or (job.finished_at and job.finished_at + ttl < now):
        raise ExportExpired()
    return ExportFile(
        media_key=job.result["media_key"],
        file_name=job.result["file_name"],
        content_type=job.result["content_type"],
    )
