"""The export page: what each format holds, and a button to start each (a job, followed on its
page, which offers the file when it is ready)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from recipevault.config import Settings
from recipevault.deps import JobQueueDep, MarkPage, PageUser, SessionDep, SettingsDep
from recipevault.exporting import service
from recipevault.exporting.schemas import ExportCreate
from recipevault.jobs.pages import job_url
from recipevault.web.forms import Form, blank_form, read_form
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/exports", include_in_schema=False, dependencies=[MarkPage])


def _page(
    request: Request, settings: Settings, form: Form[Any] | None = None, *, status_code: int = 200
) -> Response:
    context = {"form": form or blank_form(), "ttl_hours": settings.export_ttl_hours}
    return render(request, "exporting/exports.html", context, status_code=status_code)


@router.get("")
async def exports(request: Request, identity: PageUser, settings: SettingsDep) -> Response:
    return _page(request, settings)


@router.post("")
async def start_export(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    queue: JobQueueDep,
    settings: SettingsDep,
) -> Response:
    form = await read_form(request, ExportCreate)
    if form.data is None:
        return _page(request, settings, form, status_code=400)
    job = await service.start_export(
        session, queue=queue, actor=identity.actor, file_format=form.data.format
    )
    return redirect(
        request,
        job_url(job.id),
        flash="Your export has started. The file can be downloaded here when it is ready.",
    )
