"""Keyset pagination: opaque cursors that name the last row seen, never an offset."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from recipevault.errors import ValidationFailed, field_errors
from recipevault.http.schemas import is_id

T = TypeVar("T")
MAX_CURSOR_LENGTH = 512
# Cursors are base64url text, unpadded.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
CURSOR_DESCRIPTION = "The `next` value of the previous page"
CursorQuery = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, pattern=CURSOR_PATTERN, description=CURSOR_DESCRIPTION),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


class InvalidCursor(ValidationFailed):
    """A cursor this API did not hand out: a refusal of its own, as a cursor's shape is
    opaque and no schema can say which strings are cursors."""

    code = "invalid-cursor"
    title = "Cursor not valid"

    def __init__(self) -> None:
        super().__init__(
            "The cursor is malformed; use the `next` value of a previous page.",
            extra=field_errors("cursor", "Malformed cursor", where="query"),
        )


def decode_id_cursor(cursor: str) -> int:
    """The cursor of lists ordered by id alone."""
    value: int = decode_cursor(cursor, keys=("id",))["id"]
    return value


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, keys: tuple[str, ...]) -> dict[str, Any]:
    """The values of a cursor made by ``encode_cursor`` with ``keys``. Its ``id`` (the last
    row's, which every cursor holds) is checked here: a crafted one is refused like any other
    malformed cursor instead of reaching the database."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if not isinstance(values, dict) or set(values) != set(keys) or not is_id(values.get("id")):
        raise InvalidCursor()
    return values
