"""Recipe images: upload, list, order, choose the primary one, delete; and images that arrive
with an imported recipe.

An upload is decoded in full in a worker thread before anything is kept (``media.images`` says
what is accepted and why the rest is refused). Its original goes to media storage under
``recipes/{recipe}/{image}/`` and a ``process_image`` job makes its WebP renditions once the
transaction commits; the image appears in the recipe's document when they are ready. Position 0
is the primary image; positions stay 0, 1, 2... in order. Renditions are served at addresses
made of a random token (``images.addresses``), to those who may read the recipe.

Files outlive their rows only briefly. A deleted image's files are removed by a job written in
the deleting transaction (see ``images.jobs.remove_later``), so they go only once the deletion has
committed: removed any earlier, a failed commit would leave rows pointing at missing files; removed
by a task started after the commit, they would stay for good if the process stopped first. The
original of an upload whose transaction fails after it was stored stays behind, unreachable
(originals are never served).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import anyio.to_thread
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database, before_slow_work
from recipevault.errors import Conflict, NotFound, Unprocessable, field_errors
from recipevault.jobs.queue import JobQueue
from recipevault.media.images import ImageInfo, InvalidImage, inspect_image
from recipevault.media.storage import MediaStorage
from recipevault.policy import (
    Actor,
    Viewer,
    Visibility,
    can_edit,
    require_editable,
    require_readable,
    unscoped,
)
from recipevault.recipes import documents
from recipevault.recipes.images.addresses import new_token
from recipevault.recipes.images.jobs import image_prefix, process_later, remove_later
from recipevault.recipes.models import ImageStatus, Recipe, RecipeImage
from recipevault.recipes.schemas import MAX_IMAGES
from recipevault.recipes.service import RecipeNotFound


class ImageNotFound(NotFound):
    code = "image-not-found"
    title = "Image not found"


class TooManyImages(Conflict):
    code = "too-many-images"
    title = "The recipe has as many images as it can"


@dataclass(frozen=True, slots=True)
class ImageSkipped:
    """An imported recipe's image that was not kept, and why (in plain words)."""

    reason: str


# --- Loading with authorization ------------------------------------------------------------


async def _recipe(session: AsyncSession, recipe_id: int) -> Recipe | None:
    statement = unscoped(select(Recipe).where(Recipe.id == recipe_id, Recipe.deleted_at.is_(None)))
    return (await session.scalars(statement)).first()


async def _editable(session: AsyncSession, actor: Actor, recipe_id: int) -> Recipe:
    return require_editable(actor, await _recipe(session, recipe_id), RecipeNotFound)


async def authorize_upload(session: AsyncSession, *, actor: Actor, recipe_id: int) -> None:
    """Raise unless ``actor`` may add an image to the recipe now; checked again on adding.
    Reading the upload comes next, at the client's pace: the transaction ends here
    (``db.before_slow_work``) rather than hold the write lock meanwhile."""
    await _room_in(session, actor, recipe_id)
    await before_slow_work(session)


async def _room_in(session: AsyncSession, actor: Actor, recipe_id: int) -> Recipe:
    recipe = await _editable(session, actor, recipe_id)
    await _check_room(session, recipe.id)
    return recipe


async def _images(session: AsyncSession, recipe_id: int) -> list[RecipeImage]:
    statement = (
        select(RecipeImage)
        .where(RecipeImage.recipe_id == recipe_id)
        .order_by(RecipeImage.position, RecipeImage.id)
    )
    return list((await session.scalars(statement)).all())


async def list_images(
    session: AsyncSession, *, viewer: Viewer, recipe_id: int
) -> list[RecipeImage]:
    """The recipe's images in order. Its editors also see those still being processed and
    those that failed (with the reason); readers see the ready ones."""
    recipe = require_readable(viewer, await _recipe(session, recipe_id), RecipeNotFound)
    images = await _images(session, recipe.id)
    if can_edit(viewer, recipe):
        return images
    return [image for image in images if image.status == ImageStatus.READY]


# --- Serving ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendition:
    """A rendition found by its address, and what deciding who may see it takes. A trashed
    recipe reads as private: only its owner (and admins) see the trash."""

    key: str
    owner_id: int
    household_id: int | None
    visibility: Visibility


_RENDITION = (
    select(
        RecipeImage.variants,
        Recipe.owner_id,
        Recipe.household_id,
        Recipe.visibility,
        Recipe.deleted_at.is_not(None),
    )
    .join(Recipe, Recipe.id == RecipeImage.recipe_id)
    .where(RecipeImage.token == bindparam("token"), RecipeImage.status == ImageStatus.READY)
)


async def find_rendition(database: Database, *, token: str, width: int) -> Rendition | None:
    """The ready rendition at this address, whoever may see it (one indexed read, without a
    session: this serves every image on every page)."""
    row = await database.first(_RENDITION, {"token": token})
    if row is None:
        return None
    variants, owner_id, household_id, visibility, trashed = row
    key = next((v["key"] for v in variants if v["width"] == width), None)
    if key is None:
        return None
    return Rendition(
        key=key,
        owner_id=owner_id,
        household_id=household_id,
        visibility=Visibility.PRIVATE if trashed else Visibility(visibility),
    )


async def widest_renditions(session: AsyncSession, *, recipe_id: int) -> list[str]:
    """The storage keys of each ready image's widest rendition, primary first (for exports)."""
    return [
        image.variants[-1]["key"]
        for image in await _images(session, recipe_id)
        if image.status == ImageStatus.READY and image.variants
    ]


# --- Adding ----------------------------------------------------------------------------------


async def add_image(
    session: AsyncSession,
    *,
    actor: Actor,
    recipe_id: int,
    data: bytes,
    queue: JobQueue,
    storage: MediaStorage,
    settings: Settings,
) -> RecipeImage:
    """Check and keep an uploaded image as the recipe's last one; raises ``InvalidImage``.

    The image is inspected (decoded) first, before the session's first statement when the
    caller ended its transaction (``authorize_upload``), then whether it may be added is
    checked again."""
    info = await _inspect(data, settings)
    recipe = await _room_in(session, actor, recipe_id)
    return await _keep(session, recipe.id, info, data, queue=queue, storage=storage)


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """An imported recipe's image, inspected (``check_image``) before the write that keeps it."""

    data: bytes
    info: ImageInfo


async def check_image(data: bytes, settings: Settings) -> CheckedImage | ImageSkipped:
    """Inspect an imported recipe's image (decoding it: no transaction should be open)."""
    try:
        return CheckedImage(data, await _inspect(data, settings))
    except InvalidImage as exc:
        return ImageSkipped(exc.detail)


async def attach_imported_image(
    session: AsyncSession,
    *,
    recipe_id: int,
    image: CheckedImage,
    queue: JobQueue,
    storage: MediaStorage,
) -> RecipeImage | ImageSkipped:
    """Keep an image that came with an imported recipe (the importer owns the recipe). An image
    that cannot be kept is skipped with the reason rather than failing the import."""
    try:
        await _check_room(session, recipe_id)
    except TooManyImages as exc:
        return ImageSkipped(exc.detail)
    return await _keep(session, recipe_id, image.info, image.data, queue=queue, storage=storage)


async def _check_room(session: AsyncSession, recipe_id: int) -> None:
    if len(await _images(session, recipe_id)) >= MAX_IMAGES:
        raise TooManyImages(f"A recipe has at most {MAX_IMAGES} images; delete one first.")


async def _inspect(data: bytes, settings: Settings) -> ImageInfo:
    return await anyio.to_thread.run_sync(
        partial(
            inspect_image,
            data,
            max_bytes=settings.image_max_bytes,
            max_pixels=settings.image_max_pixels,
        )
    )


async def _keep(
    session: AsyncSession,
    recipe_id: int,
    info: ImageInfo,
    data: bytes,
    *,
    queue: JobQueue,
    storage: MediaStorage,
) -> RecipeImage:
    images = await _images(session, recipe_id)
    image = RecipeImage(
        recipe_id=recipe_id,
        position=images[-1].position + 1 if images else 0,
        status=ImageStatus.PENDING,
        original_key="",
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        variants=[],
        token=new_token(),
    )
    session.add(image)
    await session.flush()
    image.original_key = f"{image_prefix(recipe_id, image.id)}original.{info.format.lower()}"
    # Stored before the commit: the job that reads it may start the moment the commit is done.
    await storage.put(image.original_key, data, content_type=info.content_type)
    await process_later(session, queue=queue, image_id=image.id)
    await session.flush()
    return image


# --- Order, primary, delete --------------------------------------------------------------------


async def reorder_images(
    session: AsyncSession, *, actor: Actor, recipe_id: int, image_ids: Sequence[int]
) -> list[RecipeImage]:
    """Put the recipe's images in the order given, which must name each of them once."""
    recipe = await _editable(session, actor, recipe_id)
    images = await _images(session, recipe.id)
    by_id = {image.id: image for image in images}
    if len(image_ids) != len(by_id) or set(image_ids) != set(by_id):
        raise Unprocessable(
            "List every image of the recipe once.",
            extra=field_errors("image_ids", f"Give the ids of all {len(by_id)} images, each once"),
        )
    return await _renumber(session, recipe.id, [by_id[image_id] for image_id in image_ids])


async def set_primary(
    session: AsyncSession, *, actor: Actor, recipe_id: int, image_id: int
) -> list[RecipeImage]:
    """Make an image the recipe's first; the others keep their order after it."""
    recipe = await _editable(session, actor, recipe_id)
    images = await _images(session, recipe.id)
    chosen = _find(images, image_id)
    return await _renumber(session, recipe.id, [chosen, *(i for i in images if i is not chosen)])


async def delete_image(
    session: AsyncSession, *, actor: Actor, recipe_id: int, image_id: int, queue: JobQueue
) -> None:
    """Delete an image; its files are removed once the deletion has committed."""
    recipe = await _editable(session, actor, recipe_id)
    images = await _images(session, recipe.id)
    doomed = _find(images, image_id)
    await session.delete(doomed)
    await session.flush()
    await remove_later(session, queue=queue, prefixes=[image_prefix(recipe.id, doomed.id)])
    await _renumber(session, recipe.id, [image for image in images if image is not doomed])


def _find(images: Sequence[RecipeImage], image_id: int) -> RecipeImage:
    for image in images:
        if image.id == image_id:
            return image
    raise ImageNotFound()


async def _renumber(
    session: AsyncSession, recipe_id: int, ordered: list[RecipeImage]
) -> list[RecipeImage]:
    for position, image in enumerate(ordered):
        image.position = position
    await session.flush()
    # The primary image and the order are part of what readers see.
    await documents.rebuild_documents(session, [recipe_id])
    return ordered
