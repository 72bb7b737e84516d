"""/api/v1/exports: export your recipes as a job, then download the file for a day."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response, status
from fastapi.responses import FileResponse

from recipevault.clock import utcnow
from recipevault.deps import CurrentUser, JobQueueDep, SessionDep, SettingsDep
from recipevault.exporting import service
from recipevault.exporting.schemas import ExportCreate
from recipevault.http.schemas import Id
from recipevault.jobs.api import job_read
from recipevault.jobs.schemas import JobRead
from recipevault.media.storage import storage_from_settings

router = APIRouter(tags=["exports"], responses={401: {}})


@router.post(
    "/api/v1/exports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses={202: {"headers": {"Location": {"description": "The job to follow"}}}, 422: {}},
)
async def start_export(
    data: ExportCreate,
    actor: CurrentUser,
    session: SessionDep,
    queue: JobQueueDep,
    response: Response,
) -> JobRead:
    """Export every recipe you own (not those in the trash). Follow the job; when it is done,
    its result holds the download address."""
    job = await service.start_export(session, queue=queue, actor=actor, file_format=data.format)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)


@router.get(
    "/api/v1/exports/{export_id:int}/download",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}, "text/csv": {}}},
        404: {},
        409: {},
        410: {},
    },
)
async def download_export(
    export_id: Id, actor: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """The export's file, for whoever started it, until it expires (24 hours by default)."""
    found = await service.export_file(
        session,
        actor=actor,
        job_id=export_id,
        now=utcnow(),
        ttl=timedelta(hours=settings.export_ttl_hours),
    )
    storage = storage_from_settings(settings)
    headers = {"Cache-Control": "private, no-store"}
    path = await storage.path_for(found.media_key)
    if path is not None:
        return FileResponse(
            path, media_type=found.content_type, filename=found.file_name, headers=headers
        )
    return Response(
        await storage.get(found.media_key),
        media_type=found.content_type,
        headers={**headers, "Content-Disposition": f'attachment; filename="{found.file_name}"'},
    )
