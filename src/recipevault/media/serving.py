"""Sending stored media as a response: from a local file, or streamed from storage that keeps
none. Routes decide what may be sent to whom, and how long it may be kept."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import FileResponse, StreamingResponse

from recipevault.media.storage import MediaStorage

MEDIA_PATH = "/media"
CACHE_FOREVER = "public, max-age=31536000, immutable"
# The browser may keep it, but must ask again (a 304 costs nothing) before each use, so a
# reader who loses access stops seeing it; shared caches never keep it.
CACHE_PRIVATE = "private, no-cache"


async def media_response(
    storage: MediaStorage, key: str, *, media_type: str, headers: dict[str, str]
) -> Response:
    """The bytes under ``key``; raises ``MediaNotFound``."""
    path = await storage.path_for(key)
    if path is not None:
        return FileResponse(path, media_type=media_type, headers=headers)
    chunks = await storage.open_stream(key)
    return StreamingResponse(chunks, media_type=media_type, headers=headers)
