"""/api/v1/recipes/{id}/images: upload, list, order, choose the primary one, delete.

Readers of a recipe list its ready images; those who may edit it manage them (and also see the
ones being processed or refused). Renditions are served by ``images.files``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from recipevault.deps import CurrentUser, JobQueueDep, OptionalUser, SessionDep, SettingsDep
from recipevault.errors import AppError, ValidationFailed, field_errors
from recipevault.http.body_limit import body_limit
from recipevault.http.schemas import Id
from recipevault.http.uploads import (
    FileMissing,
    FileTooLarge,
    check_declared_length,
    describe_size,
    image_upload_body,
    read_file,
)
from recipevault.media.storage import storage_from_settings
from recipevault.recipes.documents import image_urls
from recipevault.recipes.images import service as images
from recipevault.recipes.models import RecipeImage
from recipevault.recipes.schemas import ImageOrder, RecipeImageRead

router = APIRouter(prefix="/api/v1/recipes", tags=["recipe images"])
FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
EDIT_RESPONSES: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}}


class ImageTooLarge(AppError):
    status_code = 413
    code = "image-too-large"
    title = "The image is too large"


def image_read(image: RecipeImage) -> RecipeImageRead:
    return RecipeImageRead(
        id=image.id,
        position=image.position,
        status=image.status,
        width=image.width,
        height=image.height,
        urls={int(width): url for width, url in image_urls(image).items()},
        error=image.error,
    )


@router.post(
    "/{recipe_id:int}/images",
    status_code=status.HTTP_201_CREATED,
    response_model=RecipeImageRead,
    responses={**EDIT_RESPONSES, 409: {}, 411: {}, 413: {}, 422: {}},
    openapi_extra=FILE_BODY,
)
@body_limit(image_upload_body)
async def upload_image(
    recipe_id: Id,
    request: Request,
    actor: CurrentUser,
    session: SessionDep,
    queue: JobQueueDep,
    settings: SettingsDep,
) -> RecipeImageRead:
    """Add a JPEG, PNG, WebP or GIF photo (multipart field `file`) as the recipe's last image.
    It is `pending` until its WebP renditions are made in the background, then `ready`."""
    # Both checked before the body is read: nobody gets the server to take in megabytes for a
    # recipe they may not change, or more than an image may weigh.
    await images.authorize_upload(session, actor=actor, recipe_id=recipe_id)
    limit = settings.image_max_bytes
    check_declared_length(request, limit, _too_large(limit))
    data = await _read_file(request, limit)
    image = await images.add_image(
        session,
        actor=actor,
        recipe_id=recipe_id,
        data=data,
        queue=queue,
        storage=storage_from_settings(settings),
        settings=settings,
    )
    return image_read(image)


def _too_large(limit: int) -> ImageTooLarge:
    return ImageTooLarge(f"An image may be at most {describe_size(limit)}.")


async def _read_file(request: Request, limit: int) -> bytes:
    async with request.form(max_files=1, max_fields=5) as form:
        try:
            return (await read_file(form, limit)).content
        except FileMissing:
            raise ValidationFailed(
                "Choose an image to upload.",
                extra=field_errors("file", "Choose an image to upload", kind="missing"),
            ) from None
        except FileTooLarge:
            raise _too_large(limit) from None


@router.get("/{recipe_id:int}/images", response_model=list[RecipeImageRead], responses={404: {}})
async def list_images(
    recipe_id: Id, viewer: OptionalUser, session: SessionDep
) -> list[RecipeImageRead]:
    """The recipe's images in order; the first is the primary one."""
    found = await images.list_images(session, viewer=viewer, recipe_id=recipe_id)
    return [image_read(image) for image in found]


@router.put(
    "/{recipe_id:int}/images/order",
    response_model=list[RecipeImageRead],
    responses={**EDIT_RESPONSES, 422: {}},
)
async def reorder_images(
    recipe_id: Id, data: ImageOrder, actor: CurrentUser, session: SessionDep
) -> list[RecipeImageRead]:
    """Put the images in this order (every one of them, each once); the first is primary."""
    ordered = await images.reorder_images(
        session, actor=actor, recipe_id=recipe_id, image_ids=data.image_ids
    )
    return [image_read(image) for image in ordered]


@router.post(
    "/{recipe_id:int}/images/{image_id:int}/primary",
    response_model=list[RecipeImageRead],
    responses=EDIT_RESPONSES,
)
async def choose_primary_image(
    recipe_id: Id, image_id: Id, actor: CurrentUser, session: SessionDep
) -> list[RecipeImageRead]:
    """Make this image the first one; the others keep their order after it."""
    ordered = await images.set_primary(session, actor=actor, recipe_id=recipe_id, image_id=image_id)
    return [image_read(image) for image in ordered]


@router.delete(
    "/{recipe_id:int}/images/{image_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=EDIT_RESPONSES,
)
async def delete_image(
    recipe_id: Id, image_id: Id, actor: CurrentUser, session: SessionDep, queue: JobQueueDep
) -> None:
    """Delete an image; its files are removed in the background."""
    await images.delete_image(
        session, actor=actor, recipe_id=recipe_id, image_id=image_id, queue=queue
    )
