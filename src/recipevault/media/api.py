"""``GET /media/{key}``: the WebP renditions of uploaded images, cached for good.

Only renditions are served (``recipes/{recipe}/{image}/{width}-{hash}.webp``). Originals, which
may still carry the camera's EXIF data (place, time, device), import uploads and anything else
in storage answer 404, exactly like keys that do not exist.

A rendition is served to whoever asks for it, without asking who may read its recipe: its name
carries a 64-bit hash of its content, so its address cannot be guessed and works as a capability
URL, handed out only inside the recipes a reader may see. That keeps images out of the database
on the busiest route and lets any cache keep them: one address always holds the same bytes, so
responses are public and immutable for a year. The flip side of a capability URL: someone who
was given the address keeps it until the image or its recipe is deleted for good.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from recipevault.config import Settings
from recipevault.media.images import CONTENT_HASH_LENGTH, VARIANT_CONTENT_TYPE
from recipevault.media.storage import MediaNotFound, storage_from_settings
from recipevault.routing import direct_get

MEDIA_PATH = "/media"
CACHE_FOREVER = "public, max-age=31536000, immutable"
_RENDITION = re.compile(
    rf"recipes/[1-9][0-9]*/[1-9][0-9]*/[1-9][0-9]*-[0-9a-f]{{{CONTENT_HASH_LENGTH}}}\.webp"
)

router = APIRouter(include_in_schema=False)


def media_url(key: str) -> str:
    """The address a stored rendition is served at (relative to the site)."""
    return f"{MEDIA_PATH}/{key}"


@direct_get(router, MEDIA_PATH + "/{key:path}")
async def media(request: Request) -> Response:
    """One rendition, from a local file or streamed from storage that keeps none."""
    # The key is read from the path rather than declared, like the recipe pages' slugs: a
    # page of recipe cards asks for a couple of dozen images.
    key: str = request.path_params["key"]
    if not _RENDITION.fullmatch(key):
        raise MediaNotFound()
    settings: Settings = request.app.state.settings
    storage = storage_from_settings(settings)
    headers = {"Cache-Control": CACHE_FOREVER}
    path = await storage.path_for(key)
    if path is not None:
        return FileResponse(path, media_type=VARIANT_CONTENT_TYPE, headers=headers)
    chunks = await storage.open_stream(key)
    return StreamingResponse(chunks, media_type=VARIANT_CONTENT_TYPE, headers=headers)
