"""/api/v1/admin/backups: admins make whole-site backups as jobs, list and download them."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio.to_thread
from fastapi import APIRouter, Response, status
from fastapi.responses import FileResponse
from pydantic import Field

from recipevault.backup.jobs import BACKUP, RESTORE, find_backup
from recipevault.backup.service import backup_files
from recipevault.deps import AdminUser, JobQueueDep, SessionDep, SettingsDep
from recipevault.errors import ValidationFailed
from recipevault.jobs.api import job_read
from recipevault.jobs.schemas import JobRead
from recipevault.jobs.service import create_job
from recipevault.schemas import InputModel, OutputModel

router = APIRouter(tags=["admin"], responses={401: {}, 403: {}})


class BackupFile(OutputModel):
    name: str
    size: int
    modified_at: datetime


class RestoreRequest(InputModel):
    confirm: str = Field(
        max_length=100,
        description="The backup's file name again: the site's content will be replaced",
    )


def _listing(folder_files: list[tuple[str, int, float]]) -> list[BackupFile]:
    return [
        BackupFile(name=name, size=size, modified_at=datetime.fromtimestamp(mtime, UTC))
        for name, size, mtime in folder_files
    ]


@router.post(
    "/api/v1/admin/backups",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses={202: {"headers": {"Location": {"description": "The job to follow"}}}},
)
async def start_backup(
    actor: AdminUser, session: SessionDep, queue: JobQueueDep, response: Response
) -> JobRead:
    """Back up the whole site (every table and media file) into the backup folder, as a job;
    the oldest backups beyond RECIPEVAULT_BACKUP_KEEP are removed."""
    job = await create_job(session, queue=queue, kind=BACKUP, owner_id=actor.user_id, payload={})
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)


@router.get("/api/v1/admin/backups", response_model=list[BackupFile])
async def list_backups(actor: AdminUser, settings: SettingsDep) -> list[BackupFile]:
    """The backups in the backup folder, newest first."""

    def scan() -> list[tuple[str, int, float]]:
        found = []
        for path in backup_files(settings.backup_dir):
            stat = path.stat()
            found.append((path.name, stat.st_size, stat.st_mtime))
        return found

    return _listing(await anyio.to_thread.run_sync(scan))


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
    responses={404: {}, 422: {}},
)
async def start_restore(
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
    path = await anyio.to_thread.run_sync(find_backup, settings.backup_dir, name)
    if data.confirm != path.name:
        raise ValidationFailed(
            "Type the backup's file name to confirm.",
            extra={
                "errors": [
                    {
                        "location": ["body", "confirm"],
                        "field": "confirm",
                        "message": "Must be the backup's file name",
                        "type": "value_error",
                    }
                ]
            },
        )
    job = await create_job(
        session, queue=queue, kind=RESTORE, owner_id=actor.user_id, payload={"name": path.name}
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)
