"""/api/v1/imports: from a web address, many addresses, pasted HTML, or another app's file."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from pydantic import ValidationError

from recipevault.deps import CurrentUser, JobQueueDep, SessionDep, SettingsDep
from recipevault.errors import AppError, Unprocessable, ValidationFailed, field_errors
from recipevault.http.body_limit import body_limit
from recipevault.http.schemas import API_FORM, FORM, ID_ADAPTER, Flag, Id, InputModel
from recipevault.http.uploads import (
    FileMissing,
    FileTooLarge,
    check_declared_length,
    describe_size,
    import_upload_body,
    read_file,
)
from recipevault.importing import service
from recipevault.importing.schemas import (
    MAX_PASTE_BODY,
    BulkImport,
    HtmlImport,
    HtmlImportRead,
    ImportOptions,
    UrlImport,
    bulk_import_body,
)
from recipevault.jobs.api import job_read
from recipevault.jobs.schemas import JobRead
from recipevault.media.storage import storage_from_settings
from recipevault.recipes import documents

router = APIRouter(tags=["imports"], responses={401: {}, 422: {}})
JOB_STARTED: dict[int | str, dict[str, Any]] = {
    202: {"headers": {"Location": {"description": "The job to follow"}}}
}


class UploadTooLarge(AppError):
    status_code = 413
    code = "upload-too-large"
    title = "The file is too large"


class FileImportForm(InputModel):
    keep_partial: Flag = False
    household_id: Id | None = None
    visibility: str | None = None
    # A file is imported whole: recipes in it from a page imported before are added too,
    # unless the form asks to update those instead.
    on_duplicate: str = "copy"


@router.post(
    "/api/v1/imports/url",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses={**JOB_STARTED, 409: {}},
)
async def import_url(
    data: UrlImport,
    actor: CurrentUser,
    session: SessionDep,
    queue: JobQueueDep,
    response: Response,
) -> JobRead:
    """Import the recipe on a web page, as a job: follow it at `/api/v1/jobs/{id}`. A page
    you imported before gets 409 naming the recipe, unless `on_duplicate` says what to do."""
    job = await service.start_url_import(session, queue=queue, actor=actor, data=data)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)


@router.post(
    "/api/v1/imports/bulk",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses=JOB_STARTED,
)
@body_limit(bulk_import_body)
async def import_bulk(
    data: BulkImport,
    actor: CurrentUser,
    session: SessionDep,
    queue: JobQueueDep,
    settings: SettingsDep,
    response: Response,
) -> JobRead:
    """Import up to 500 pages in one job, with a result for each address."""
    job = await service.start_bulk_import(
        session, queue=queue, actor=actor, data=data, settings=settings
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)


@router.post(
    "/api/v1/imports/html",
    status_code=status.HTTP_201_CREATED,
    response_model=HtmlImportRead,
    responses={201: {"headers": {"Location": {}}}, 409: {}},
)
@body_limit(lambda _: MAX_PASTE_BODY)
async def import_html(data: HtmlImport, actor: CurrentUser, session: SessionDep) -> Response:
    """Import the recipes in pasted HTML or schema.org JSON-LD at once; they are returned."""
    saved = await service.import_html(session, actor=actor, data=data)
    bodies = []
    for recipe in saved:
        stored = await documents.stored_recipe(session, recipe.id)
        assert stored is not None  # written in this transaction
        bodies.append(stored.body)
    return Response(
        b'{"recipes":[' + b",".join(bodies) + b"]}",
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Location": f"/api/v1/recipes/{saved[0].id}"},
    )


FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "keep_partial": {
                            "type": "boolean",
                            "description": "Keep the recipes that could be read when others "
                            "could not (by default a file imports all or nothing)",
                        },
                        "household_id": ID_ADAPTER.json_schema(),
                        "visibility": {
                            "type": "string",
                            "enum": ["private", "household", "public"],
                        },
                        "on_duplicate": {
                            "type": "string",
                            "enum": ["ask", "update", "copy"],
                            "default": "copy",
                        },
                    },
                    "additionalProperties": False,
                }
            }
        },
    }
}


@router.post(
    "/api/v1/imports/file",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobRead,
    responses={**JOB_STARTED, 411: {}, 413: {}},
    openapi_extra=FILE_BODY,
)
@body_limit(import_upload_body)
async def import_file(
    request: Request,
    actor: CurrentUser,
    session: SessionDep,
    queue: JobQueueDep,
    settings: SettingsDep,
    response: Response,
) -> JobRead:
    """Import another app's export file (Mealie, Tandoor, Paprika, Nextcloud Cookbook,
    schema.org JSON, or RecipeVault's own), recognised by its content, as a job."""
    content, file_name, options, keep_partial = await _read_upload(
        request, settings.upload_max_bytes
    )
    job = await service.start_file_import(
        session,
        queue=queue,
        storage=storage_from_settings(settings),
        actor=actor,
        content=content,
        file_name=file_name,
        options=options,
        keep_partial=keep_partial,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return await job_read(session, job)


async def _read_upload(
    request: Request, limit: int
) -> tuple[bytes, str | None, ImportOptions, bool]:
    too_large = UploadTooLarge(f"The file is larger than {describe_size(limit)}.")
    check_declared_length(request, limit, too_large)
    async with request.form(max_files=1, max_fields=10) as form:
        try:
            upload = await read_file(form, limit)
        except FileMissing:
            raise _form_error("file", "Choose a file to import") from None
        except FileTooLarge:
            raise too_large from None
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
    content = upload.content
    if not content:
        # A schema cannot ask for a file that holds something.
        raise Unprocessable("The file is empty", extra=field_errors("file", "The file is empty"))
    try:
        parsed = FileImportForm.model_validate(fields, context={FORM: API_FORM})
        options = ImportOptions.model_validate(
            {
                "household_id": parsed.household_id,
                "visibility": parsed.visibility,
                "on_duplicate": parsed.on_duplicate,
            }
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise _form_error(str(error["loc"][-1]), error["msg"]) from None
    return content, upload.name, options, parsed.keep_partial


def _form_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, extra=field_errors(field, message, kind="value"))
