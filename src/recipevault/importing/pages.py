"""The import page: recipes from a web address, pasted HTML or JSON-LD, a list of addresses, or
another app's export file.

Each way is a tab (a plain link, ``/import?tab=paste``) with its own form. Addresses and files
start a job and lead to its progress page; pasted text is imported at once and leads to the
first new recipe. A refused form comes back with status 400, the input kept and the message
beside its field; a page imported before is named, with the choice to update it or import a copy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import Identity
from recipevault.config import Settings
from recipevault.db import undo_on_error
from recipevault.deps import JobQueueDep, MarkPage, PageUser, SessionDep, SettingsDep
from recipevault.errors import ValidationFailed
from recipevault.households import service as households
from recipevault.http.body_limit import body_limit
from recipevault.http.uploads import (
    FileMissing,
    FileTooLarge,
    UploadedFile,
    check_declared_length,
    describe_size,
    import_upload_body,
    read_file,
)
from recipevault.importing import service
from recipevault.importing.api import UploadTooLarge
from recipevault.importing.schemas import (
    MAX_PASTE_BODY,
    BulkImport,
    HtmlImport,
    ImportOptions,
    UrlImport,
    bulk_import_body,
)
from recipevault.jobs.pages import job_url, plain
from recipevault.media.storage import storage_from_settings
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import WebAddress
from recipevault.web.forms import (
    FORM_ERROR,
    Form,
    MultiValues,
    blank_form,
    read_form,
    validate_form,
)
from recipevault.web.rendering import redirect, render

router = APIRouter(prefix="/import", include_in_schema=False, dependencies=[MarkPage])

IMPORT_PAGE = "/import"
TABS = (
    ("url", "Web address"),
    ("paste", "Paste a page"),
    ("bulk", "Many addresses"),
    ("file", "Export file"),
)
TabParam = Annotated[str | None, Query(max_length=16)]
VISIBILITY_CHOICES = (
    ("", "As the source says"),
    ("private", "Only me"),
    ("household", "My household"),
    ("public", "Everyone, visitors included"),
)
# What to do with a page imported before: asked once it turns out to be one (address, paste),
# chosen up front for many at a time (list, file).
AGAIN_CHOICES = (
    ("update", "Update it with what is there now (the old version stays in its history)"),
    ("copy", "Import it again as another recipe"),
)
BULK_AGAIN_CHOICES = (
    ("ask", "Leave them out"),
    ("update", "Update them"),
    ("copy", "Import them again as other recipes"),
)
FILE_AGAIN_CHOICES = (
    ("copy", "Import them as new recipes"),
    ("update", "Update the recipes imported from the same page before"),
)
DEFAULT_AGAIN = {"url": "ask", "paste": "ask", "bulk": "ask", "file": "copy"}
_web_address: TypeAdapter[str] = TypeAdapter(WebAddress)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The recipe an earlier import of the same page made."""

    slug: str
    title: str


class _Submitted:
    """A submitted form with some fields read differently (name -> the values to use)."""

    def __init__(self, form: MultiValues, overrides: dict[str, list[str]]) -> None:
        self._form = form
        self._overrides = overrides

    def getlist(self, key: Any) -> list[Any]:
        if key in self._overrides:
            return self._overrides[key]
        return self._form.getlist(key)


def _tab(value: str | None) -> str:
    return value if value in {name for name, _ in TABS} else "url"


async def _household_choices(session: AsyncSession, identity: Identity) -> list[tuple[str, str]]:
    """The person's households, their own (personal) one first."""
    views = await households.list_households(session, actor=identity.actor)
    return [(str(v.household.id), v.household.name) for v in views if v.role is not None]


async def _import_page(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    *,
    tab: str,
    form: Form[Any] | None = None,
    duplicate: Duplicate | None = None,
    status_code: int = 200,
) -> Response:
    choices = await _household_choices(session, identity)
    if form is None:
        initial = {"on_duplicate": DEFAULT_AGAIN[tab], "visibility": ""}
        if choices:
            initial["household_id"] = choices[0][0]
        form = blank_form(initial)
    context = {
        "tabs": TABS,
        "tab": tab,
        "form": form,
        "duplicate": duplicate,
        "household_choices": choices,
        "visibility_choices": VISIBILITY_CHOICES,
        "again_choices": AGAIN_CHOICES,
        "bulk_again_choices": BULK_AGAIN_CHOICES,
        "file_again_choices": FILE_AGAIN_CHOICES,
        "max_urls": settings.bulk_import_max_urls,
        "max_upload": describe_size(settings.upload_max_bytes),
    }
    return render(request, "importing/import.html", context, status_code=status_code)


@router.get("")
async def import_page(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    tab: TabParam = None,
) -> Response:
    return await _import_page(request, session, identity, settings, tab=_tab(tab))


async def _refused_again(
    request: Request,
    session: AsyncSession,
    identity: Identity,
    settings: Settings,
    *,
    tab: str,
    form: Form[Any],
    field: str,
    exc: service.AlreadyImported,
) -> Response:
    """The form again, naming the recipe the page became last time, with the choice of
    updating it or importing a copy (update chosen)."""
    recipe_id = int(exc.extra["recipe_id"])
    title = str((await recipes.stored_document(session, recipe_id))["title"])
    refused = form.with_error(field, f"You imported this page before as “{title}”.")
    refused = replace(refused, values={**refused.values, "on_duplicate": "update"})
    return await _import_page(
        request,
        session,
        identity,
        settings,
        tab=tab,
        form=refused,
        duplicate=Duplicate(slug=str(exc.extra["slug"]), title=title),
        status_code=400,
    )


def _household_refused(form: Form[Any], exc: ValidationFailed) -> Form[Any]:
    """The form, refusing its household (one the person does not belong to)."""
    return form.with_error("household_id", exc.detail).with_error(FORM_ERROR, exc.detail)


@router.post("/url")
async def import_url(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    queue: JobQueueDep,
) -> Response:
    form = await read_form(request, UrlImport)
    if form.data is None:
        return await _import_page(
            request, session, identity, settings, tab="url", form=form, status_code=400
        )
    try:
        job = await service.start_url_import(
            session, queue=queue, actor=identity.actor, data=form.data
        )
    except service.AlreadyImported as exc:
        return await _refused_again(
            request, session, identity, settings, tab="url", form=form, field="url", exc=exc
        )
    except ValidationFailed as exc:
        return await _import_page(
            request,
            session,
            identity,
            settings,
            tab="url",
            form=_household_refused(form, exc),
            status_code=400,
        )
    return redirect(request, job_url(job.id), flash="The import has started.")


@router.post("/paste")
@body_limit(lambda _: MAX_PASTE_BODY)
async def import_paste(
    request: Request, identity: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    form = await read_form(request, HtmlImport)
    if form.data is None:
        return await _import_page(
            request, session, identity, settings, tab="paste", form=form, status_code=400
        )
    try:
        async with undo_on_error(session):
            saved = await service.import_html(session, actor=identity.actor, data=form.data)
    except service.AlreadyImported as exc:
        return await _refused_again(
            request, session, identity, settings, tab="paste", form=form, field="html", exc=exc
        )
    except service.SourceUnusable as exc:
        refused = form.with_error("html", plain(exc.detail) or exc.title)
        return await _import_page(
            request, session, identity, settings, tab="paste", form=refused, status_code=400
        )
    except ValidationFailed as exc:  # a household the person does not belong to
        return await _import_page(
            request,
            session,
            identity,
            settings,
            tab="paste",
            form=_household_refused(form, exc),
            status_code=400,
        )
    first = saved[0]
    if len(saved) == 1:
        message = f"“{first.title}” is imported."
    else:
        message = f"{len(saved)} recipes are imported. This is the first, “{first.title}”."
    return redirect(request, f"/recipes/{first.slug}", flash=message)


def _address_problem(lines: list[str]) -> str:
    if not lines:
        return "Enter at least one web address."
    for number, line in enumerate(lines, start=1):
        try:
            _web_address.validate_python(line)
        except ValidationError:
            shown = line if len(line) <= 80 else line[:79] + "…"
            return (
                f"Line {number} is not a web address: “{shown}”. "
                "Addresses start with http:// or https://."
            )
    return "Enter one web address per line."


@router.post("/bulk")
@body_limit(bulk_import_body)
async def import_bulk(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    queue: JobQueueDep,
) -> Response:
    submitted = await request.form()
    text = submitted.get("urls")
    text = text if isinstance(text, str) else ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    form = validate_form(BulkImport, _Submitted(submitted, {"urls": lines}))
    # The text area shows what was typed, not the list read from it.
    form = replace(form, values={**form.values, "urls": text})
    if form.error("urls"):
        form = form.with_error("urls", _address_problem(lines))
    if form.data is None:
        return await _import_page(
            request, session, identity, settings, tab="bulk", form=form, status_code=400
        )
    try:
        job = await service.start_bulk_import(
            session, queue=queue, actor=identity.actor, data=form.data, settings=settings
        )
    except service.TooManyUrls as exc:
        refused = form.with_error("urls", exc.detail)
        return await _import_page(
            request, session, identity, settings, tab="bulk", form=refused, status_code=400
        )
    except ValidationFailed as exc:
        return await _import_page(
            request,
            session,
            identity,
            settings,
            tab="bulk",
            form=_household_refused(form, exc),
            status_code=400,
        )
    count = job.progress_total or len(lines)
    return redirect(
        request,
        job_url(job.id),
        flash=f"The import of {count} {'address' if count == 1 else 'addresses'} has started.",
    )


async def _declared_length(request: Request) -> None:
    """Refuse an upload that says it is too large before anything reads it (the CSRF check
    reads the form, and the multipart parser spools a file of any size to disk)."""
    settings: Settings = request.app.state.settings
    too_large = UploadTooLarge(_too_large(settings))
    check_declared_length(request, settings.upload_max_bytes, too_large)


async def _closing_upload(request: Request) -> AsyncIterator[None]:
    """Close the upload's temporary file however the request ends: a refused CSRF token
    stops the request after the check has read the form."""
    try:
        yield
    finally:
        await request.close()


def _too_large(settings: Settings) -> str:
    return f"The file is larger than {describe_size(settings.upload_max_bytes)}."


@router.post("/file", dependencies=[Depends(_declared_length), Depends(_closing_upload)])
@body_limit(import_upload_body)
async def import_file(
    request: Request,
    identity: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    queue: JobQueueDep,
) -> Response:
    async with request.form(max_files=1, max_fields=10) as submitted:
        keep_partial = submitted.get("keep_partial") == "true"
        again = [] if submitted.getlist("on_duplicate") else [DEFAULT_AGAIN["file"]]
        overrides = {"on_duplicate": again} if again else {}
        form = validate_form(ImportOptions, _Submitted(submitted, overrides))
        form = replace(form, values={**form.values, "keep_partial": "true" if keep_partial else ""})
        upload: UploadedFile | None = None
        try:
            upload = await read_file(submitted, settings.upload_max_bytes)
        except FileMissing:
            form = form.with_error("file", "Choose the file to import.")
        except FileTooLarge:
            form = form.with_error("file", _too_large(settings))
        if upload is not None and not upload.content:
            form = form.with_error("file", "The file is empty.")
    if form.data is None or not form.ok:
        if "file" not in form.errors:
            form = form.with_error("file", "Choose the file again.")
        return await _import_page(
            request, session, identity, settings, tab="file", form=form, status_code=400
        )
    assert upload is not None
    try:
        job = await service.start_file_import(
            session,
            queue=queue,
            storage=storage_from_settings(settings),
            actor=identity.actor,
            content=upload.content,
            file_name=upload.name,
            options=form.data,
            keep_partial=keep_partial,
        )
    except ValidationFailed as exc:
        # The file must be chosen again, as after any refusal.
        form = form.with_error("file", "Choose the file again.")
        return await _import_page(
            request,
            session,
            identity,
            settings,
            tab="file",
            form=_household_refused(form, exc),
            status_code=400,
        )
    return redirect(
        request,
        job_url(job.id),
        flash=f"{upload.name} is uploaded and its import has started.",
    )
