"""Where media files live: a small key-value interface and its local-folder implementation.

A key is a relative POSIX path such as ``recipes/12/34/960-0123456789abcdef.webp``. Keys are
checked strictly (letters, digits, ``.``, ``_``, ``-`` and ``/`` between non-empty segments that
start with a letter or digit), so no key can name anything outside the storage root. Object
storage can implement the same protocol later; routes that serve files ask ``path_for`` first
and fall back to ``open_stream`` when a storage keeps no local files.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import anyio
import anyio.to_thread

from recipevault.errors import NotFound

if TYPE_CHECKING:
    from recipevault.config import Settings

MAX_KEY_LENGTH = 512
MAX_SEGMENT_LENGTH = 128
STREAM_CHUNK_SIZE = 64 * 1024
# Segments start with a letter or digit: never ".", "..", a hidden file or a temporary file.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PARTIAL_SEGMENT = re.compile(r"[A-Za-z0-9._-]*")
_TEMP_PREFIX = ".tmp-"
_MKDIR_ATTEMPTS = 3


class MediaNotFound(NotFound):
    title = "Media not found"


class InvalidMediaKey(ValueError):
    """A key that is not a plain relative path made of the allowed characters."""


def validate_key(key: str) -> str:
    """Return ``key`` unchanged, or raise ``InvalidMediaKey``."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidMediaKey(f"a media key has 1 to {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if len(segment) > MAX_SEGMENT_LENGTH or not _SEGMENT.fullmatch(segment):
            raise InvalidMediaKey(f"invalid media key {key!r}")
    return key


def _split_prefix(prefix: str) -> tuple[str, str]:
    """Split a listing prefix into its folder (a valid key, or "" for the root) and the
    start of the names wanted in that folder."""
    if len(prefix) > MAX_KEY_LENGTH or prefix.startswith("/"):
        raise InvalidMediaKey(f"invalid media key prefix {prefix!r}")
    folder, _, start = prefix.rpartition("/")
    if folder:
        validate_key(folder)
    if not _PARTIAL_SEGMENT.fullmatch(start):
        raise InvalidMediaKey(f"invalid media key prefix {prefix!r}")
    return folder, start


class MediaStorage(Protocol):
    """Bytes stored under keys. Implementations must be safe to call concurrently."""

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        """Store ``data`` under ``key``, replacing what was there; readers never see half."""
        ...

    async def get(self, key: str) -> bytes:
        """The bytes under ``key``; raises ``MediaNotFound``."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key does nothing."""
        ...

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix`` (not empty); returns how many."""
        ...

    async def list(self, prefix: str = "") -> builtins.list[str]:
        """Every key starting with ``prefix``, sorted."""
        ...

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        """Chunks of the bytes under ``key``; raises ``MediaNotFound`` before returning."""
        ...

    async def path_for(self, key: str) -> Path | None:
        """The local file holding ``key``, or None when this storage keeps no local files;
        raises ``MediaNotFound``."""
        ...


class LocalMediaStorage:
    """Files in a folder on this machine. Blocking file work runs in worker threads.

    Writes go to a temporary file in the destination folder, are flushed to disk, then renamed
    over the destination, so a reader sees the old bytes or the new ones, never a mix. The
    content type is not recorded: local files carry it in their key's extension.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        await anyio.to_thread.run_sync(_write_atomically, self._path(key), data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise MediaNotFound(f"no media at {key}") from None

    async def exists(self, key: str) -> bool:
        return await anyio.to_thread.run_sync(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            await anyio.to_thread.run_sync(path.unlink)

    async def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise InvalidMediaKey("the prefix of the keys to delete must not be empty")
        return await anyio.to_thread.run_sync(self._delete_prefix, prefix)

    async def list(self, prefix: str = "") -> builtins.list[str]:
        return await anyio.to_thread.run_sync(self._list, prefix)

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        return _chunks(await self.path_for(key), key)

    async def path_for(self, key: str) -> Path:
        path = self._path(key)
        if not await anyio.to_thread.run_sync(path.is_file):
            raise MediaNotFound(f"no media at {key}")
        return path

    def _list(self, prefix: str) -> builtins.list[str]:
        folder, start = _split_prefix(prefix)
        base = self._path(folder) if folder else self.root
        keys: builtins.list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            at_base = dirpath == str(base)
            dirnames[:] = [
                name
                for name in dirnames
                if _SEGMENT.fullmatch(name) and (not at_base or name.startswith(start))
            ]
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if _SEGMENT.fullmatch(name) and (not at_base or name.startswith(start)):
                    keys.append(name if relative == "." else f"{relative}/{name}")
        return sorted(keys)

    def _delete_prefix(self, prefix: str) -> int:
        deleted = 0
        folders: set[Path] = set()
        for key in self._list(prefix):
            path = self._path(key)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                deleted += 1
            folders.add(path.parent)
        self._remove_empty_folders(folders)
        return deleted

    def _remove_empty_folders(self, folders: Iterable[Path]) -> None:
        for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
            current = folder
            while current != self.root and current.is_relative_to(self.root):
                try:
                    current.rmdir()
                except OSError:  # not empty (or already gone): its parents stay too
                    break
                current = current.parent


def _write_atomically(path: Path, data: bytes) -> None:
    descriptor, temporary = _temporary_file(path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes the file private; media is meant to be readable like any upload.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _temporary_file(folder: Path) -> tuple[int, str]:
    attempt = 1
    while True:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            return tempfile.mkstemp(dir=folder, prefix=_TEMP_PREFIX)
        except FileNotFoundError:
            # delete_prefix removed the folder once it was empty, between mkdir and mkstemp.
            if attempt == _MKDIR_ATTEMPTS:
                raise
            attempt += 1


async def _chunks(path: Path, key: str) -> AsyncIterator[bytes]:
    try:
        file = await anyio.open_file(path, "rb")
    except (FileNotFoundError, NotADirectoryError):
        raise MediaNotFound(f"no media at {key}") from None
    async with file:
        while chunk := await file.read(STREAM_CHUNK_SIZE):
            yield chunk


def storage_from_settings(settings: Settings) -> MediaStorage:
    return LocalMediaStorage(settings.media_dir)
