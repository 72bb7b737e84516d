"""Size-limited multipart uploads. The multipart parser spools a file of any size to disk before
anyone could look at it, so the length a request declares is checked before its form is read,
and the file's real size again while reading it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from recipevault.config import Settings
from recipevault.errors import AppError

MULTIPART_OVERHEAD = 64 * 1024
"""Room for the multipart framing and the form's other fields on top of the file itself."""


def import_upload_body(settings: Settings) -> int:
    """The body limit of a route taking an import file (see ``http.body_limit``)."""
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


class FileMissing(Exception):
    """The form holds no file in the field (nothing was chosen)."""


class FileTooLarge(Exception):
    """The file holds more bytes than the limit."""


@dataclass(frozen=True, slots=True)
class UploadedFile:
    content: bytes
    name: str


async def read_file(form: FormData, limit: int, *, field: str = "file") -> UploadedFile:
    """The file sent in ``field`` of a form read with ``request.form()``, reading no more than
    one byte past ``limit``; ``FileMissing`` or ``FileTooLarge`` when it cannot be had. Each
    caller says what those mean in its own words (an API problem, a form's message)."""
    upload = form.get(field)
    # Browsers send an empty part, without a file name, when no file was chosen.
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise FileMissing
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise FileTooLarge
    return UploadedFile(content, upload.filename)


_KB = 1024
_MB = 1024 * 1024


def describe_size(size: int, *, round_up: bool = False) -> str:
    """A number of bytes as people read it: "195.3 KB", "10 MB" (to a tenth, rounded down,
    or up with ``round_up`` for a size that must not look smaller than it is)."""
    unit, name = (_MB, "MB") if size >= _MB else (_KB, "KB")
    tenths = size * 10 / unit
    rounded = math.ceil(tenths) if round_up else math.floor(tenths)
    return f"{rounded / 10:g} {name}"
