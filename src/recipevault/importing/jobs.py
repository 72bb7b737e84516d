"""The import jobs: pages fetched one by one, and uploaded files read whole.

Each address or recipe is one item of its job, saved in the same transaction as its record,
so a job that runs again (a worker died, a site timed out) skips what it already imported.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import actor_for_job
from recipevault.importing.archives import ArchiveLimits
from recipevault.importing.draft import ImportedRecipe, SourceRejected
from recipevault.importing.extract import extract_recipes
from recipevault.importing.fetch import Fetcher, FetchPolicy, SiteUnavailable
from recipevault.importing.formats.detect import read_import_file
from recipevault.importing.job_kinds import IMPORT_FILE, IMPORT_URLS
from recipevault.importing.schemas import ImportOptions
from recipevault.importing.service import save_imported
from recipevault.jobs.models import ItemStatus
from recipevault.jobs.runner import ItemOutcome, JobContext, TransientJobError, job_handler
from recipevault.jobs.service import job_items
from recipevault.media.storage import MediaNotFound, storage_from_settings
from recipevault.policy import Actor
from recipevault.recipes.images.service import (
    CheckedImage,
    ImageSkipped,
    attach_imported_image,
    check_image,
)

# Pages often list the same photo in several sizes; the first few are plenty.
MAX_IMPORTED_IMAGES = 3


async def _actor(context: JobContext) -> Actor:
    if context.owner_id is None:
        raise SourceRejected("this import has no owner")
    async with context.database.session(write=False) as session:
        actor = await actor_for_job(session, context.owner_id)
    if actor is None:
        raise SourceRejected("the account that started this import is no longer active")
    return actor


def _options(payload: dict[str, Any]) -> ImportOptions:
    return ImportOptions.model_validate(
        {key: payload.get(key) for key in ("household_id", "visibility")}
        | {"on_duplicate": payload.get("on_duplicate") or "ask"}
    )


async def _save_all(
    context: JobContext,
    outcome: ItemOutcome,
    actor: Actor,
    found: list[ImportedRecipe],
    options: ImportOptions,
    *,
    fetcher: Fetcher | None = None,
    page_url: str | None = None,
) -> None:
    session: AsyncSession = outcome.session
    # Images are fetched and inspected before anything is written: the item's transaction
    # holds the write lock from its first write to its commit.
    images = [await _checked_images(context, item, fetcher) for item in found]
    saved = []
    notes: list[str] = []
    for item, (checked, skipped) in zip(found, images, strict=True):
        result = await save_imported(
            session, actor=actor, imported=item, options=options, page_url=page_url
        )
        saved.append(result)
        if result.action == "created":
            notes += skipped
            notes += await _attach_images(context, session, result.recipe.id, checked)
    outcome.recipe_id = saved[0].recipe.id
    actions = [item.action for item in saved]
    summary = actions[0] if len(saved) == 1 else f"{len(saved)} recipes ({', '.join(actions)})"
    outcome.message = "; ".join([summary, *notes])


async def _checked_images(
    context: JobContext, imported: ImportedRecipe, fetcher: Fetcher | None
) -> tuple[list[CheckedImage], list[str]]:
    """The recipe's images (at most MAX_IMPORTED_IMAGES) fetched and inspected, and notes on
    those that cannot be had: never a reason to lose the recipe."""
    checked, notes = [], []
    for source in imported.images[:MAX_IMPORTED_IMAGES]:
        data = source.data
        if data is None and source.url is not None and fetcher is not None:
            try:
                data = (await fetcher.fetch(source.url, accept="image")).body
            except SourceRejected as exc:
                notes.append(f"image left out: {exc}")
                continue
        if data is None:
            continue
        image = await check_image(data, context.settings)
        if isinstance(image, ImageSkipped):
            notes.append(f"image left out: {image.reason}")
        else:
            checked.append(image)
    return checked, notes


async def _attach_images(
    context: JobContext, session: AsyncSession, recipe_id: int, checked: list[CheckedImage]
) -> list[str]:
    storage = storage_from_settings(context.settings)
    notes = []
    for image in checked:
        kept = await attach_imported_image(
            session, recipe_id=recipe_id, image=image, queue=context.queue, storage=storage
        )
        if isinstance(kept, ImageSkipped):
            notes.append(f"image left out: {kept.reason}")
    return notes


@job_handler(IMPORT_URLS)
async def import_urls(context: JobContext) -> dict[str, Any]:
    urls: list[str] = context.payload["urls"]
    actor = await _actor(context)
    options = _options(context.payload)
    handled = await context.handled()
    async with Fetcher(FetchPolicy.from_settings(context.settings)) as fetcher:
        for position, url in enumerate(urls):
            if position in handled:
                continue
            async with context.item(position, url) as outcome:
                try:
                    page = await fetcher.fetch(url, accept="page")
                except SiteUnavailable as exc:
                    raise TransientJobError(str(exc)) from None
                text = page.text()
                found = await anyio.to_thread.run_sync(
                    lambda: extract_recipes(text, url=page.url)  # noqa: B023 - awaited at once
                )
                await _save_all(
                    context, outcome, actor, found, options, fetcher=fetcher, page_url=url
                )
    return await _summary(context, single=len(urls) == 1)


async def _summary(context: JobContext, *, single: bool) -> dict[str, Any]:
    async with context.database.session(write=False) as session:
        items = await job_items(session, job_id=context.job_id, limit=100_000)
    failed = [item for item in items if item.status == ItemStatus.FAILED]
    if single and failed:
        # One page that gave nothing ends the job with what went wrong, said plainly.
        raise SourceRejected(failed[0].message or "the page could not be imported")
    return {
        "imported": sum(1 for item in items if item.status == ItemStatus.DONE),
        "failed": len(failed),
        "recipe_ids": [item.recipe_id for item in items if item.recipe_id is not None],
    }


@job_handler(IMPORT_FILE)
async def import_file(context: JobContext) -> dict[str, Any]:
    storage = storage_from_settings(context.settings)
    key: str = context.payload["media_key"]
    try:
        content = await storage.get(key)
    except MediaNotFound:
        raise SourceRejected("the uploaded file is gone; upload it again") from None
    actor = await _actor(context)
    options = _options(context.payload)
    limits = ArchiveLimits.from_settings(context.settings)
    try:
        batch = await anyio.to_thread.run_sync(lambda: read_import_file(content, limits=limits))
        if batch.failures and not context.payload.get("keep_partial"):
            raise SourceRejected(
                f"{len(batch.failures)} of {len(batch.recipes) + len(batch.failures)} recipes "
                "could not be read, so nothing was imported (first: "
                f"{batch.failures[0].item}: {batch.failures[0].message}). Import the file "
                "again keeping what can be read to import the others."
            )
    except SourceRejected:
        await storage.delete(key)  # trying again cannot help
        raise
    await context.set_progress(total=len(batch.recipes) + len(batch.failures))
    handled = await context.handled()
    for position, imported in enumerate(batch.recipes):
        if position not in handled:
            async with context.item(position, imported.recipe.title) as outcome:
                await _save_all(context, outcome, actor, [imported], options)
    for offset, failure in enumerate(batch.failures, start=len(batch.recipes)):
        if offset not in handled:
            async with context.item(offset, failure.item):
                raise SourceRejected(failure.message)
    # Kept until now so that a job taken over from a dead worker can read it again.
    await storage.delete(key)
    return {"format": batch.format, **await _summary(context, single=False)}
