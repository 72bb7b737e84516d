"""``GET /media/{token}/{width}.webp``: recipe images' WebP renditions, to those who may see them.

Only ready renditions have addresses; originals (which may carry the camera's EXIF data),
import uploads, exports and anything else in storage are never served. An address that names
no rendition, and one of a recipe the viewer may not read, both answer 404: a stranger cannot
tell them apart. Public recipes' images are cached for a year by anyone; the others are checked
on every request and kept by the viewer's browser alone (``images.addresses`` says why the
addresses change when a recipe stops being public).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from recipevault.config import Settings
from recipevault.deps import read_viewer
from recipevault.http.routing import direct_get, etag_matches
from recipevault.media.images import VARIANT_CONTENT_TYPE
from recipevault.media.serving import CACHE_FOREVER, CACHE_PRIVATE, MEDIA_PATH, media_response
from recipevault.media.storage import MediaNotFound, storage_from_settings
from recipevault.policy import Visibility, can_read
from recipevault.recipes.images import service as images
from recipevault.recipes.images.addresses import ADDRESS

router = APIRouter(include_in_schema=False)


@direct_get(router, MEDIA_PATH + "/{address:path}")
async def image_file(request: Request) -> Response:
    """One rendition, from a local file or streamed from storage that keeps none."""
    # Read from the path rather than declared, like the recipe pages' slugs: a page of recipe
    # cards asks for a couple of dozen images.
    found = ADDRESS.fullmatch(request.path_params["address"])
    if found is None:
        raise MediaNotFound()
    token, width = found.group(1), int(found.group(2))
    rendition = await images.find_rendition(request.app.state.database, token=token, width=width)
    if rendition is None:
        raise MediaNotFound()
    if rendition.visibility == Visibility.PUBLIC:
        cache = CACHE_FOREVER
    elif can_read(await read_viewer(request), rendition):
        cache = CACHE_PRIVATE
    else:
        raise MediaNotFound()
    # The bytes at an address never change, so the address is their version.
    headers = {"Cache-Control": cache, "ETag": f'"{token}-{width}"'}
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    settings: Settings = request.app.state.settings
    return await media_response(
        storage_from_settings(settings),
        rendition.key,
        media_type=VARIANT_CONTENT_TYPE,
        headers=headers,
    )
