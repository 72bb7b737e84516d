"""The export job, and the worker's sweep that removes exports past their lifetime."""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.exporting.service import EXPORT
from recipevault.exporting.writers import ExportItem, write_csv, write_zip
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.runner import JobContext, job_handler
from recipevault.jobs.service import done_before, set_result
from recipevault.jobs.worker import MAINTENANCE
from recipevault.media.storage import MediaNotFound, MediaStorage, storage_from_settings
from recipevault.recipes.images.service import widest_renditions
from recipevault.recipes.input_mapping import input_from_snapshot
from recipevault.recipes.service import RecipeNotFound, stored_document
from recipevault.recipes.sources import owned_recipe_ids

CONTENT_TYPES = {"zip": "application/zip", "csv": "text/csv; charset=utf-8"}
PROGRESS_EVERY = 50
PURGE_BATCH = 100


async def _images(storage: MediaStorage, keys: list[str]) -> list[tuple[str, bytes]]:
    """Each image at its widest rendition, main image first."""
    found = []
    for key in keys:
        try:
            found.append(("webp", await storage.get(key)))
        except MediaNotFound:
            continue
    return found


async def _item(
    context: JobContext, storage: MediaStorage, recipe_id: int, with_images: bool
) -> ExportItem:
    async with context.database.session(write=False) as session:
        document = await stored_document(session, recipe_id)
        keys = await widest_renditions(session, recipe_id=recipe_id) if with_images else []
    return ExportItem(
        slug=document["slug"],
        recipe=input_from_snapshot(document),
        created_at=datetime.fromisoformat(document["created_at"]),
        updated_at=datetime.fromisoformat(document["updated_at"]),
        images=await _images(storage, keys),
    )


@job_handler(EXPORT)
async def export_recipes(context: JobContext) -> dict[str, Any]:
    assert context.owner_id is not None
    extension = context.payload["format"]
    content_type = CONTENT_TYPES[extension]
    storage = storage_from_settings(context.settings)
    async with context.database.session(write=False) as session:
        ids = await owned_recipe_ids(session, owner_id=context.owner_id)
    await context.set_progress(done=0, total=len(ids))
    items = []
    for done, recipe_id in enumerate(ids, start=1):
        # A recipe put in the trash since the export started is left out, as the trash is.
        with suppress(RecipeNotFound):
            items.append(await _item(context, storage, recipe_id, with_images=extension == "zip"))
        if done % PROGRESS_EVERY == 0:
            await context.check_cancelled()
            await context.set_progress(done=done)
    now = utcnow()
    file_name = f"recipevault-export-{now:%Y%m%d-%H%M%S}.{extension}"
    with tempfile.TemporaryDirectory(prefix="recipevault-export-") as folder:
        path = Path(folder) / file_name
        if extension == "zip":
            count = await anyio.to_thread.run_sync(lambda: write_zip(path, items, exported_at=now))
        else:
            count = await anyio.to_thread.run_sync(lambda: write_csv(path, items))
        key = f"exports/{context.job_id}/{file_name}"
        await storage.put(key, await anyio.Path(path).read_bytes(), content_type=content_type)
    await context.set_progress(done=len(ids))
    expires_at = now + timedelta(hours=context.settings.export_ttl_hours)
    return {
        "media_key": key,
        "file_name": file_name,
        "content_type": content_type,
        "recipes": count,
        "expires_at": expires_at.isoformat(),
        "download": f"/api/v1/exports/{context.job_id}/download",
    }


async def purge_expired_exports(database: Database, settings: Settings, queue: JobQueue) -> None:
    """Remove the files of exports past their lifetime; the jobs stay, marked expired."""
    cutoff = utcnow() - timedelta(hours=settings.export_ttl_hours)
    storage = storage_from_settings(settings)
    async with database.session() as session:
        # Newest first: those expired long ago were purged by earlier sweeps.
        jobs = await done_before(
            session, kind=EXPORT, finished_before=cutoff, limit=PURGE_BATCH * 10
        )
        expired = [job for job in jobs if job.result and not job.result.get("expired")]
        for job in expired[:PURGE_BATCH]:
            assert job.result is not None
            await storage.delete(job.result["media_key"])
            await set_result(session, job, {**job.result, "expired": True})
        await session.commit()


MAINTENANCE.append(purge_expired_exports)
