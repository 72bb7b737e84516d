"""The admins' backup page: back the site up now, download a backup, or restore one over the
site. Backing up and restoring are jobs; the page sends the admin to the job's progress."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from recipevault.backup.jobs import (
    BackupNotFound,
    RestoreNotConfirmed,
    list_backups,
    start_backup,
    start_restore,
)
from recipevault.deps import JobQueueDep, MarkPage, PageAdmin, SessionDep, SettingsDep
from recipevault.jobs.pages import job_url
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/admin/backups", include_in_schema=False, dependencies=[MarkPage])

BACKUPS_PAGE = "/admin/backups"


@router.get("")
async def backups(request: Request, identity: PageAdmin, settings: SettingsDep) -> Response:
    context = {
        "backups": await list_backups(settings.backup_dir),
        "keep": settings.backup_keep,
        "every_hours": settings.backup_every_hours,
    }
    return render(request, "admin/backups.html", context)


@router.post("")
async def back_up_now(
    request: Request, identity: PageAdmin, session: SessionDep, queue: JobQueueDep
) -> Response:
    job = await start_backup(session, queue=queue, admin_id=identity.actor.user_id)
    return redirect(request, job_url(job.id), flash="The backup has started.")


@router.post("/{name}/restore")
async def restore(
    request: Request,
    name: str,
    identity: PageAdmin,
    session: SessionDep,
    queue: JobQueueDep,
    settings: SettingsDep,
) -> Response:
    confirm = (await request.form()).get("confirm")
    try:
        job = await start_restore(
            session,
            queue=queue,
            admin_id=identity.actor.user_id,
            folder=settings.backup_dir,
            name=name,
            confirm=confirm if isinstance(confirm, str) else "",
        )
    except (BackupNotFound, RestoreNotConfirmed) as exc:
        return redirect(request, BACKUPS_PAGE, flash=exc.detail, category="error")
    return redirect(
        request,
        job_url(job.id),
        flash="The restore has started; everyone, you included, will be signed out.",
    )
