"""Import use cases: start import jobs, import pasted HTML at once, and save what a source
yielded as recipes (created, or updated when the person chose to)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.errors import AppError, Conflict, ValidationFailed, field_errors
from recipevault.importing.draft import ImportedRecipe, SourceRejected
from recipevault.importing.extract import extract_recipes
from recipevault.importing.job_kinds import IMPORT_FILE, IMPORT_URLS
from recipevault.importing.schemas import BulkImport, HtmlImport, ImportOptions, UrlImport
from recipevault.jobs.models import Job
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.service import create_job
from recipevault.media.storage import MediaStorage
from recipevault.policy import Actor
from recipevault.recipes import service as recipes
from recipevault.recipes.models import Recipe
from recipevault.recipes.sources import imported_from

Saved = Literal["created", "updated"]


class AlreadyImported(Conflict):
    code = "already-imported"
    title = "You already imported this page"

    def __init__(self, recipe: Recipe) -> None:
        super().__init__(
            f"You imported this page before as “{recipe.title}”.",
            # Send the request again with one of these as `on_duplicate`.
            extra={"recipe_id": recipe.id, "slug": recipe.slug, "on_duplicate": ["update", "copy"]},
        )


class TooManyUrls(ValidationFailed):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"A bulk import takes at most {limit} addresses.",
            extra=field_errors("urls", f"At most {limit} addresses", kind="too_long"),
        )


class SourceUnusable(AppError):
    status_code = 422
    code = "source-unusable"
    title = "No recipe could be read from this"


@dataclass(frozen=True, slots=True)
class SavedRecipe:
    recipe: Recipe
    action: Saved


def _options_payload(options: ImportOptions) -> dict[str, Any]:
    return {
        "household_id": options.household_id,
        "visibility": options.visibility.value if options.visibility else None,
        "on_duplicate": options.on_duplicate,
    }


async def save_imported(
    session: AsyncSession,
    *,
    actor: Actor,
    imported: ImportedRecipe,
    options: ImportOptions,
    page_url: str | None = None,
) -> SavedRecipe:
    """Create the recipe, or with ``on_duplicate`` handle one imported from the same page."""
    changes: dict[str, Any] = {}
    if options.household_id is not None:
        changes["household_id"] = options.household_id
    if options.visibility is not None:
        changes["visibility"] = options.visibility
    data = imported.recipe.model_copy(update=changes) if changes else imported.recipe
    if options.on_duplicate != "copy":
        existing = await imported_from(
            session, owner_id=actor.user_id, urls=(data.source_url, page_url)
        )
        if existing is not None and options.on_duplicate == "ask":
            raise AlreadyImported(existing)
        if existing is not None:
            updated = await recipes.update_recipe(
                session, actor=actor, recipe_id=existing.id, data=data, partial=False, if_match=None
            )
            return SavedRecipe(updated, "updated")
    return SavedRecipe(await recipes.create_recipe(session, actor=actor, data=data), "created")


async def _check_options(session: AsyncSession, actor: Actor, options: ImportOptions) -> None:
    """Refuse a household the recipes may not go to now, not when the job gets to them."""
    if options.household_id is not None:
        await recipes.check_household(session, actor=actor, household_id=options.household_id)


async def start_url_import(
    session: AsyncSession, *, queue: JobQueue, actor: Actor, data: UrlImport
) -> Job:
    """Queue the import of one page. A page imported before is refused here already (unless
    ``on_duplicate`` says what to do), so the person finds out before any waiting."""
    await _check_options(session, actor, data)
    if data.on_duplicate == "ask":
        existing = await imported_from(session, owner_id=actor.user_id, urls=[data.url])
        if existing is not None:
            raise AlreadyImported(existing)
    return await create_job(
        session,
        queue=queue,
        kind=IMPORT_URLS,
        owner_id=actor.user_id,
        payload={"urls": [data.url], **_options_payload(data)},
        total=1,
    )


async def start_bulk_import(
    session: AsyncSession, *, queue: JobQueue, actor: Actor, data: BulkImport, settings: Settings
) -> Job:
    urls = list(dict.fromkeys(data.urls))  # the same address twice is one import
    if len(urls) > settings.bulk_import_max_urls:
        raise TooManyUrls(settings.bulk_import_max_urls)
    await _check_options(session, actor, data)
    return await create_job(
        session,
        queue=queue,
        kind=IMPORT_URLS,
        owner_id=actor.user_id,
        payload={"urls": urls, **_options_payload(data)},
        total=len(urls),
    )


async def start_file_import(
    session: AsyncSession,
    *,
    queue: JobQueue,
    storage: MediaStorage,
    actor: Actor,
    content: bytes,
    file_name: str | None,
    options: ImportOptions,
    keep_partial: bool,
) -> Job:
    """Keep the uploaded file in media storage (workers may run on other machines) and queue
    its import; the job removes the file when it is done with it."""
    await _check_options(session, actor, options)
    job = await create_job(
        session,
        queue=queue,
        kind=IMPORT_FILE,
        owner_id=actor.user_id,
        payload={
            "file_name": (file_name or "upload")[:200],
            "keep_partial": keep_partial,
            **_options_payload(options),
        },
    )
    key = upload_key(job.id)
    await storage.put(key, content, content_type="application/octet-stream")
    job.payload = {**job.payload, "media_key": key}
    return job


def upload_key(job_id: int) -> str:
    return f"imports/{job_id}/upload.bin"


async def import_html(session: AsyncSession, *, actor: Actor, data: HtmlImport) -> list[Recipe]:
    """Import every recipe in pasted HTML or JSON-LD at once (no fetching, so no job)."""
    try:
        found = await anyio.to_thread.run_sync(lambda: extract_recipes(data.html, url=data.url))
    except SourceRejected as exc:
        raise SourceUnusable(str(exc)) from None
    saved = [
        await save_imported(session, actor=actor, imported=item, options=data, page_url=data.url)
        for item in found
    ]
    return [item.recipe for item in saved]
