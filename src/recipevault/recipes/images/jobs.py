"""Background work on recipe images: making an upload's WebP renditions, and removing the files
of deleted images and recipes once their deletion has committed.

Both jobs are safe to run twice. Renditions are stored under keys named by their content, so a
second run writes the same files under the same keys; an image deleted while its renditions were
being made is found gone in the transaction that would mark it ready, and its files are removed
then. Storage keys stay inside the server: renditions are served at token addresses
(``images.addresses``).
"""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.jobs.models import ItemStatus
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.runner import JobContext, TransientJobError, job_handler
from recipevault.jobs.service import create_job
from recipevault.media.images import (
    VARIANT_CONTENT_TYPE,
    ImageVariant,
    InvalidImage,
    render_variants,
    variant_key,
)
from recipevault.media.storage import MediaNotFound, MediaStorage, storage_from_settings
from recipevault.recipes.documents import rebuild_documents
from recipevault.recipes.models import ImageStatus, RecipeImage

PROCESS_IMAGE = "process_image"
REMOVE_MEDIA = "remove_media"
ORIGINAL_MISSING = "the uploaded file is missing; upload the image again"
T = TypeVar("T")


def image_prefix(recipe_id: int, image_id: int) -> str:
    """Where an image's original and renditions are kept. Image ids are never reused, so
    removing this prefix after the image's row is gone cannot touch another image's files."""
    return f"recipes/{recipe_id}/{image_id}/"


async def process_later(session: AsyncSession, *, queue: JobQueue, image_id: int) -> None:
    """Make the image's renditions once the caller's transaction commits."""
    await create_job(
        session, queue=queue, kind=PROCESS_IMAGE, owner_id=None, payload={"image_id": image_id}
    )


async def remove_later(session: AsyncSession, *, queue: JobQueue, prefixes: list[str]) -> None:
    """Remove every file under ``prefixes`` once the caller's transaction commits, and only
    then: the job is written in that transaction, so it exists exactly when the deletion does,
    and it is run again until it is done."""
    await create_job(
        session, queue=queue, kind=REMOVE_MEDIA, owner_id=None, payload={"prefixes": prefixes}
    )


@job_handler(PROCESS_IMAGE)
async def process_image(context: JobContext) -> dict[str, Any]:
    image_id = int(context.payload["image_id"])
    result: dict[str, Any] = {"image_id": image_id}
    if 0 in await context.handled():
        return result
    async with context.database.session(write=False) as session:
        image = await session.get(RecipeImage, image_id)
    if image is None:
        return {**result, "skipped": "the image was deleted"}
    if image.status != ImageStatus.PENDING:
        return {**result, "status": image.status.value}
    recipe_id, original_key = image.recipe_id, image.original_key
    storage = storage_from_settings(context.settings)
    error: str | None = None
    variants: list[ImageVariant] = []
    try:
        original = await _storage_call(storage.get(original_key))
        variants = await anyio.to_thread.run_sync(
            partial(
                render_variants,
                original,
                widths=context.settings.image_sizes,
                max_pixels=context.settings.image_max_pixels,
            )
        )
    except MediaNotFound:
        error = ORIGINAL_MISSING
    except InvalidImage as exc:
        error = exc.detail
    stored = []
    for variant in variants:
        key = variant_key(recipe_id, image_id, variant.width, variant.content_hash)
        await _storage_call(storage.put(key, variant.data, content_type=VARIANT_CONTENT_TYPE))
        stored.append({"width": variant.width, "height": variant.height, "key": key})

    deleted = False
    async with context.item(0, f"image {image_id}") as outcome:
        image = await outcome.session.get(
            RecipeImage, image_id, with_for_update=True, populate_existing=True
        )
        if image is None:
            deleted = True
            outcome.status = ItemStatus.SKIPPED
            outcome.message = "the image was deleted"
        else:
            outcome.recipe_id = recipe_id
            if error is None:
                image.status = ImageStatus.READY
                image.variants = stored
                image.error = None
                await rebuild_documents(outcome.session, [recipe_id])
            else:
                image.status = ImageStatus.FAILED
                image.error = error[:500]
                outcome.status = ItemStatus.FAILED
                outcome.message = error
    if deleted:
        # Its removal may have run before these renditions were written.
        await _storage_call(storage.delete_prefix(image_prefix(recipe_id, image_id)))
        return {**result, "skipped": "the image was deleted"}
    if error is not None:
        return {**result, "status": ImageStatus.FAILED.value, "error": error}
    await _remove_strays(storage, image_prefix(recipe_id, image_id), original_key, stored)
    return {**result, "status": ImageStatus.READY.value, "widths": [v["width"] for v in stored]}


async def _remove_strays(
    storage: MediaStorage, prefix: str, original_key: str, stored: list[dict[str, Any]]
) -> None:
    """Renditions an earlier run left under other names (the widths were changed since)."""
    keep = {original_key, *(variant["key"] for variant in stored)}
    for key in await _storage_call(storage.list(prefix)):
        if key not in keep:
            await _storage_call(storage.delete(key))


@job_handler(REMOVE_MEDIA)
async def remove_media(context: JobContext) -> dict[str, Any]:
    storage = storage_from_settings(context.settings)
    removed = 0
    for prefix in context.payload["prefixes"]:
        removed += await _storage_call(storage.delete_prefix(prefix))
    return {"removed": removed}


async def _storage_call(call: Awaitable[T]) -> T:
    """Await a storage call; a failing disk (or, later, object store) is worth a retry."""
    try:
        return await call
    except OSError as exc:
        raise TransientJobError(f"media storage failed: {exc.strerror or exc}") from None
