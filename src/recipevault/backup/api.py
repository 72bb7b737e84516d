"""/api/v1/admin/backups: admins back up the site, list and download backups, and restore one
over the site, the long parts as jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Response, status
from fastapi.responses import FileResponse
from pydantic import Field

from recipevault.backup.jobs import find_backup, list_backups, start_backup, start_restore
from recipevault.deps import AdminUser, JobQueueDep, SessionDep, SettingsDep
from recipevault.http.schemas import InputModel, OutputModel
from recipevault.jobs.api import job_read
from recipevault.jobs.schemas import JobRead

router = APIRouter(tags=["admin"], responses={401: {}, 403: {}})
JOB_STARTED: dict[int | str, dict[str, Any]] = {
    202: {"headers": {"Location": {"description": "The job to follow"}}}
}


class BackupFileRead(OutputModel):
    name: str
    size: int
    modified_at: datetime


class RestoreRequest(InputModel):
    confirm: str = Field(
        max_length=100,
        description="The backup's file name again: the site's content will be replaced",
    )


@router.post(
    "/api/v1/admin/backups",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses=JOB_STARTED,
)
async def create_backup(
    actor: AdminUser, session: SessionDep, queue: JobQueueDep, response: Response
) -> JobRead:
    """Back up the whole site (every table and media file) into the backup folder, as a job;
    the oldest backups beyond RECIPEVAULT_BACKUP_KEEP are removed."""
    job = await start_backup(session, queue=queue, admin_id=actor.user_id)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)


@router.get("/api/v1/admin/backups", response_model=list[BackupFileRead])
async def get_backups(actor: AdminUser, settings: SettingsDep) -> list[BackupFileRead]:
    """The backups in the backup folder, newest first."""
    found = await list_backups(settings.backup_dir)
    return [BackupFileRead.model_validate(backup, from_attributes=True) for backup in found]


@router.get(
    "/api/v1/admin/backups/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}, 404: {}},
)
async def download_backup(name: str, actor: AdminUser, settings: SettingsDep) -> FileResponse:
    """One backup file, to keep somewhere else."""
    path = await anyio.to_thread.run_sync(find_backup, settings.backup_dir, name)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=path.name,
        headers={"Cache-Control": "private, no-store"},
    )


@router.post(
    "/api/v1/admin/backups/{name}/restore",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses={**JOB_STARTED, 404: {}, 422: {}},
)
async def restore_backup(
    name: str,
    data: RestoreRequest,
    actor: AdminUser,
    session: SessionDep,
    queue: JobQueueDep,
    settings: SettingsDep,
    response: Response,
) -> JobRead:
    """Replace everything on the site (except the job log) with this backup, as a job. Every
    account, recipe and file is replaced and everyone is signed out; the backup must be of
    this schema revision."""
    job = await start_restore(
        session,
        queue=queue,
        admin_id=actor.user_id,
        folder=settings.backup_dir,
        name=name,
        confirm=data.confirm,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)
