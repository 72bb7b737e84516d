"""Size-limited multipart uploads. The multipart parser spools a file of any size to disk before
anyone could look at it, so the length a request declares is checked before its form is read,
and the file's real size again while reading it."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request

from recipevault.config import Settings
from recipevault.errors import AppError

MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart framing and the form's other fields on top of the file itself."""


def import_upload_body(settings: Settings) -> int:
    """The body limit of a route taking an import file (see ``body_limit``)."""
    return settings.upload_max_bytes + MULTIPART_OVERHEAD


def image_upload_body(settings: Settings) -> int:
    """The body limit of a route taking an image."""
    return settings.image_max_bytes + MULTIPART_OVERHEAD


class LengthRequired(AppError):
    status_code = 411
    code = "length-required"
    title = "Send the upload with a Content-Length"


def check_declared_length(request: Request, limit: int, too_large: Exception) -> None:
    """Refuse an upload that declares no length (411), or more than ``limit`` bytes of file
    (``too_large``), before anything reads it."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise LengthRequired()
    if int(length) > limit + MULTIPART_OVERHEAD:
        raise too_large


async def read_at_most(upload: UploadFile, limit: int) -> bytes | None:
    """The file's bytes, or None when it holds more than ``limit`` of them."""
    content = await upload.read(limit + 1)
    return None if len(content) > limit else content
