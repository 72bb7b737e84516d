"""Reading uploaded archives without trusting them: zip bombs and unsafe paths are refused.

Everything a zip declares is checked before any member is read: how many entries it has, how
much it says it expands to, how much each entry expands, and whether every name is a plain
relative path (no absolute paths, drive letters, backslashes, ``..`` or symbolic links, no name
twice). While a member is read its real size is counted in chunks, so a header that lies about
its size cannot get more through than it declared, nor more than the limits allow.

Archives inside archives (Tandoor exports one zip per recipe inside a zip) share one budget with
the archive they came from and may only go ``max_depth`` levels deep.

What is held in memory at once is bounded apart from that budget: an entry read whole (a recipe's
JSON, a nested zip) and anything gunzipped may be at most ``max_entry_bytes``. Decompression
streams and counts as it goes, and stops one chunk past the limit, so a small file that inflates
to gigabytes costs no more than the limit; the entry is then reported as unreadable, by name.
"""

from __future__ import annotations

import io
import lzma
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO

from recipevault.importing.draft import ItemUnreadable, SourceRejected

if TYPE_CHECKING:
    from recipevault.config import Settings

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024
# Small entries are never checked for their ratio: a few kilobytes of blank lines compress
# very well, and the total budget bounds what many small entries can add up to.
RATIO_GRACE_BYTES = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# What zipfile and the decompressors raise for damaged data (a bad offset is a ValueError).
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    OverflowError,
)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How much an uploaded file may hold; the same numbers apply to every level of nesting."""

    max_upload_bytes: int = 100 * 1024 * 1024
    max_entries: int = 20_000
    max_uncompressed_bytes: int = 1024 * 1024 * 1024
    max_ratio: int = 200
    max_depth: int = 3
    max_image_bytes: int = 10 * 1024 * 1024
    max_entry_bytes: int = 16 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        return cls(
            max_upload_bytes=settings.upload_max_bytes,
            max_entries=settings.archive_max_entries,
            max_uncompressed_bytes=settings.archive_max_uncompressed_bytes,
            max_ratio=settings.archive_max_ratio,
            max_depth=settings.archive_max_depth,
            max_image_bytes=settings.image_max_bytes,
            max_entry_bytes=settings.archive_max_entry_bytes,
        )


def describe_size(size: int) -> str:
    """A byte count as people read it: "512 bytes", "3.2 MB", "1 GB"."""
    for unit, power in (("GB", 3), ("MB", 2), ("KB", 1)):
        if size >= 1024**power:
            return f"{size / 1024**power:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size:,} bytes"


class EntryTooLarge(ItemUnreadable):
    """One entry (or gzip stream) would be held in memory beyond ``max_entry_bytes``."""

    def __init__(self, name: str, limits: ArchiveLimits) -> None:
        super().__init__(
            f"{name} expands to more than {describe_size(limits.max_entry_bytes)}, "
            "the most one entry may hold"
        )


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


def is_gzip(data: bytes) -> bool:
    return data.startswith(GZIP_MAGIC)


class _Budget:
    """What one upload has used so far, shared by every archive opened from it."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.entries = 0
        self.bytes = 0

    @property
    def remaining(self) -> int:
        return self.limits.max_uncompressed_bytes - self.bytes

    def add_entries(self, count: int) -> None:
        self.entries += count
        if self.entries > self.limits.max_entries:
            raise SourceRejected(
                f"the archive has {self.entries:,} entries; the limit is "
                f"{self.limits.max_entries:,}"
            )

    def too_big(self) -> SourceRejected:
        return SourceRejected(
            "the archive expands to more than "
            f"{describe_size(self.limits.max_uncompressed_bytes)}, the limit"
        )

    def charge(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_uncompressed_bytes:
            raise self.too_big()


def check_upload_size(size: int, limits: ArchiveLimits) -> None:
    if size > limits.max_upload_bytes:
        raise SourceRejected(
            f"the file is {describe_size(size)}; the limit is "
            f"{describe_size(limits.max_upload_bytes)}"
        )


def _too_deep(limits: ArchiveLimits) -> SourceRejected:
    levels = "level" if limits.max_depth == 1 else "levels"
    return SourceRejected(f"the archive nests archives more than {limits.max_depth} {levels} deep")


def _safe_name(name: str) -> str:
    """The entry's name as a plain relative path, or a refusal naming it."""
    unsafe = SourceRejected(f"the archive contains an unsafe path: {name}")
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        raise unsafe
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise unsafe
    return str(PurePosixPath(*parts))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


class SafeArchive:
    """A zip whose declared contents passed every check; members are read under the budget."""

    def __init__(
        self, source: BinaryIO | Path, limits: ArchiveLimits, *, depth: int, budget: _Budget
    ) -> None:
        if depth > limits.max_depth:
            raise _too_deep(limits)
        self.limits = limits
        self.depth = depth
        self._budget = budget
        try:
            self._zip = zipfile.ZipFile(source)
        except _DAMAGED:
            raise SourceRejected("this file is not a readable zip archive") from None
        try:
            self._members = self._check(self._zip.infolist())
        except BaseException:
            self._zip.close()
            raise

    def _check(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        self._budget.add_entries(len(infos))
        declared = sum(info.file_size for info in infos)
        if declared > self._budget.remaining:
            raise SourceRejected(
                f"the archive would expand to {describe_size(declared)}; the limit is "
                f"{describe_size(self.limits.max_uncompressed_bytes)}"
            )
        members: dict[str, zipfile.ZipInfo] = {}
        seen: set[str] = set()
        for info in infos:
            name = _safe_name(info.filename)
            if _is_symlink(info):
                raise SourceRejected(f"the archive contains a symbolic link: {info.filename}")
            if info.flag_bits & 0x1:
                raise SourceRejected("the archive is password-protected")
            if name in seen:
                raise SourceRejected(f"the archive contains {name} more than once")
            seen.add(name)
            if info.file_size > RATIO_GRACE_BYTES and (
                info.compress_size == 0
                or info.file_size / info.compress_size > self.limits.max_ratio
            ):
                raise SourceRejected(
                    f"an entry expands more than {self.limits.max_ratio} times "
                    f"(possible zip bomb): {name}"
                )
            if info.compress_size == 0 and info.file_size > 0:
                raise SourceRejected(f"an entry declares content but stores none: {name}")
            if not info.is_dir():
                members[name] = info
        return members

    # --- Reading ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The files in the archive (no folders), as safe relative paths, in archive order."""
        return list(self._members)

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def size(self, name: str) -> int:
        """The size the archive declares for a member; reading never yields more."""
        return self._members[name].file_size

    def _chunks(self, name: str) -> Generator[bytes, None, None]:
        info = self._members[name]
        if info.file_size > self._budget.remaining:
            raise self._budget.too_big()
        produced = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    produced += len(chunk)
                    if produced > info.file_size:
                        raise SourceRejected(f"an entry is larger than its header says: {name}")
                    self._budget.charge(len(chunk))
                    yield chunk
        except _DAMAGED:
            raise SourceRejected(f"the archive is damaged: {name} cannot be read") from None
        except RuntimeError:
            raise SourceRejected("the archive is password-protected") from None

    def read(self, name: str) -> bytes:
        """A member's bytes; raises ``EntryTooLarge`` past ``max_entry_bytes``, before reading
        (reading never yields more than the member declares)."""
        if self._members[name].file_size > self.limits.max_entry_bytes:
            raise EntryTooLarge(name, self.limits)
        return b"".join(self._chunks(name))

    def head(self, name: str, size: int = 16) -> bytes:
        """The first bytes of a member, to tell what it holds without reading all of it."""
        data = bytearray()
        chunks = self._chunks(name)
        try:
            for chunk in chunks:
                data += chunk
                if len(data) >= size:
                    break
        finally:
            chunks.close()
        return bytes(data[:size])

    def open_nested(self, name: str) -> SafeArchive:
        """A zip stored inside this one, checked the same way and charged to the same budget."""
        if self.depth >= self.limits.max_depth:
            raise _too_deep(self.limits)
        return SafeArchive(
            io.BytesIO(self.read(name)), self.limits, depth=self.depth + 1, budget=self._budget
        )

    def gunzip(self, data: bytes, name: str) -> bytes:
        """Decompress gzip data (the entry ``name`` of this archive), charged to the same
        budget; raises ``EntryTooLarge`` past ``max_entry_bytes``."""
        return _gunzip(data, self.limits, self._budget, name)

    @contextmanager
    def extracted(self) -> Iterator[Path]:
        """The archive's files in a temporary folder, removed when the block ends however it
        ends; nothing is ever written outside that folder."""
        with tempfile.TemporaryDirectory(prefix="recipevault-import-") as folder:
            root = Path(folder).resolve()
            for name in self.names():
                target = (root / name).resolve()
                if not target.is_relative_to(root) or target == root:
                    raise SourceRejected(f"the archive contains an unsafe path: {name}")
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with target.open("xb") as out:
                        for chunk in self._chunks(name):
                            out.write(chunk)
                except (FileExistsError, NotADirectoryError):
                    raise SourceRejected(
                        f"the archive contains conflicting paths: {name}"
                    ) from None
            yield root

    # --- Lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_archive(data: bytes | Path, limits: ArchiveLimits) -> SafeArchive:
    """Open an uploaded zip (bytes, or a file on disk) after checking everything it declares.

    Raises ``SourceRejected`` with a sentence for the uploader when the file is too big, is not
    a zip, or declares anything unsafe.
    """
    if isinstance(data, Path):
        try:
            size = data.stat().st_size
        except OSError:
            raise SourceRejected("the uploaded file cannot be read") from None
        check_upload_size(size, limits)
        with data.open("rb") as handle:
            if not is_zip(handle.read(4)):
                raise SourceRejected("this file is not a zip archive")
        return SafeArchive(data, limits, depth=1, budget=_Budget(limits))
    check_upload_size(len(data), limits)
    if not is_zip(data):
        raise SourceRejected("this file is not a zip archive")
    return SafeArchive(io.BytesIO(data), limits, depth=1, budget=_Budget(limits))


def gunzip(data: bytes, limits: ArchiveLimits) -> bytes:
    """Decompress an uploaded gzip file under the same limits as an archive."""
    check_upload_size(len(data), limits)
    try:
        return _gunzip(data, limits, _Budget(limits), "the file")
    except EntryTooLarge as exc:
        raise SourceRejected(str(exc)) from None


def _gunzip(data: bytes, limits: ArchiveLimits, budget: _Budget, name: str) -> bytes:
    if not is_gzip(data):
        raise SourceRejected("the data is not gzip-compressed")
    out = bytearray()
    rest = data
    try:
        # A gzip file may be several members one after another; each is read the same way.
        while rest:
            decompressor = zlib.decompressobj(wbits=31)
            pending = rest
            while not decompressor.eof:
                chunk = decompressor.decompress(pending, CHUNK)
                pending = decompressor.unconsumed_tail
                if not chunk and not pending:
                    break
                out += chunk
                budget.charge(len(chunk))
                if len(out) > limits.max_entry_bytes:
                    raise EntryTooLarge(name, limits)
                if len(out) > RATIO_GRACE_BYTES and len(out) > len(data) * limits.max_ratio:
                    raise SourceRejected(
                        f"compressed data expands more than {limits.max_ratio} times "
                        "(possible zip bomb)"
                    )
            if not decompressor.eof:
                raise SourceRejected("the compressed data is cut short")
            rest = decompressor.unused_data
            if rest and not is_gzip(rest):
                break
    except zlib.error:
        raise SourceRejected("the compressed data is damaged") from None
    return bytes(out)
