"""The backup archive: one zip file holding every row of the database and every media file.

Members::

    tables/<table>.jsonl    one per table, rows in primary-key order
    media/<key>             each media file under its storage key, bytes as stored
    manifest.json           written last; describes the rest

``manifest.json``::

    {"format": "recipevault-backup", "format_version": 1,
     "schema_revision": "8831c74e29a2",     the Alembic revision the rows belong to
     "created_at": "2026-11-22T10:00:00+00:00",
     "database": "sqlite" | "postgresql",   where the backup was made (either restores on both)
     "app_version": "0.1.0",
     "tables": {"households": 3, "users": 4, ...},   rows per table
     "media": 12}                                    media files

Each ``tables/<table>.jsonl`` is JSON Lines. The first line names the columns and how their
values are written: ``{"table": "users", "columns": [["id", "integer"], ...]}``. Every further
line is one row, a JSON array of values in that column order, SQL NULL as ``null``:

    integer, boolean, string   JSON as is (enumerations as their stored text)
    float                      a JSON number, or "nan", "inf", "-inf"
    decimal                    a string ("2.5000"), so no digit is lost
    datetime                   ISO 8601 with its UTC offset ("2026-11-22T10:00:00.123456+00:00")
    date                       ISO 8601 ("2026-11-22")
    json                       the document's JSON text as a string, so that a JSON ``null`` and
                               a SQL NULL stay apart
    bytes                      base64

Search indexes are not in the archive: they differ per database and are rebuilt on restore.

Reading never trusts the file: member names are checked (no absolute paths, ``..`` or other
unsafe media keys, nothing unexpected), the declared sizes must fit a budget, the manifest is
validated field by field, and every row is checked against its column's kind. Tables are read a
line at a time; a media file is read whole, never past the size it declares (``zipfile`` stops
there and checks the CRC), and one that declares more than ``MAX_MEDIA_RATIO`` times what it
stores is refused before anything is read: photos and archives hardly compress, so a small
backup cannot make a restore hold gigabytes.
"""

from __future__ import annotations

import contextlib
import os
import re
import zipfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from recipevault.backup.codecs import ColumnCodec, is_int
from recipevault.errors import AppError
from recipevault.media.storage import InvalidMediaKey, validate_key

FORMAT = "recipevault-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES = "tables/"
MEDIA = "media/"
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_BYTES = 64 * 1024**3
MAX_MEDIA_RATIO = 200
# Small files may compress as they like: they cost little whatever they hold.
MEDIA_RATIO_GRACE_BYTES = 1024 * 1024
DATABASES = ("sqlite", "postgresql")
_TABLE_MEMBER = re.compile(r"tables/([a-z_][a-z0-9_]*)\.jsonl")


class BackupError(AppError):
    status_code = 422
    code = "backup-failed"
    title = "The backup could not be made"


class BackupRejected(BackupError):
    """The archive cannot be restored here; the message says why, for an operator."""

    code = "backup-rejected"
    title = "The backup cannot be restored"


class TargetNotEmpty(BackupRejected):
    code = "restore-target-not-empty"


class SchemaMismatch(BackupRejected):
    code = "backup-schema-mismatch"


# --- The manifest ------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    schema_revision: str
    created_at: datetime
    database: str
    app_version: str
    tables: dict[str, int]
    media: int
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT,
                "format_version": self.format_version,
                "schema_revision": self.schema_revision,
                "created_at": self.created_at.isoformat(),
                "database": self.database,
                "app_version": self.app_version,
                # Table names may be str subclasses (quoted_name), which orjson refuses as keys.
                "tables": {str(name): count for name, count in self.tables.items()},
                "media": self.media,
            },
            option=orjson.OPT_INDENT_2,
        )

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        try:
            fields = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise BackupRejected("manifest.json is not valid JSON") from None
        if not isinstance(fields, dict) or fields.get("format") != FORMAT:
            raise BackupRejected("this file is not a RecipeVault backup (manifest.json)")
        version = fields.get("format_version")
        if not is_int(version) or version < 1:
            raise BackupRejected("manifest.json has no valid format_version")
        if version > FORMAT_VERSION:
            raise BackupRejected(
                f"this backup has format version {version}, made by a newer RecipeVault; "
                f"this one reads version {FORMAT_VERSION}"
            )
        revision = fields.get("schema_revision")
        if not isinstance(revision, str) or not 0 < len(revision) <= 200:
            raise BackupRejected("manifest.json has no schema_revision")
        try:
            created_at = datetime.fromisoformat(fields.get("created_at"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise BackupRejected("manifest.json has no valid created_at") from None
        if fields.get("database") not in DATABASES:
            raise BackupRejected("manifest.json names no database (sqlite or postgresql)")
        tables = fields.get("tables")
        if not isinstance(tables, dict) or not all(
            isinstance(name, str) and is_int(count) and count >= 0 for name, count in tables.items()
        ):
            raise BackupRejected("manifest.json has no valid table counts")
        media = fields.get("media")
        if not is_int(media) or media < 0:
            raise BackupRejected("manifest.json has no valid media count")
        app_version = fields.get("app_version")
        return cls(
            schema_revision=revision,
            created_at=created_at,
            database=fields["database"],
            app_version=app_version if isinstance(app_version, str) else "unknown",
            tables=tables,
            media=media,
            format_version=version,
        )


def table_member(name: str) -> str:
    return f"{TABLES}{name}.jsonl"


# --- Writing -------------------------------------------------------------------------------


class ArchiveWriter:
    """Writes an archive to a hidden partial file beside ``destination``, renamed into place
    by ``finish``: a failed backup never leaves a file that looks complete. Blocking: call
    its methods from a worker thread, one at a time."""

    def __init__(self, destination: Path) -> None:
        self.destination = destination
        self.partial = destination.with_name(f".{destination.name}.partial")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            raise BackupError(f"{destination} already exists; choose another file name")
        self._zip = zipfile.ZipFile(self.partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._member: IO[bytes] | None = None
        self._codecs: Sequence[ColumnCodec] = ()

    def begin_table(self, name: str, codecs: Sequence[ColumnCodec]) -> None:
        self._member = self._zip.open(table_member(name), "w", force_zip64=True)
        self._codecs = codecs
        header = {"table": name, "columns": [[codec.key, codec.kind] for codec in codecs]}
        self._member.write(orjson.dumps(header) + b"\n")

    def write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        assert self._member is not None
        codecs = self._codecs
        lines = [
            orjson.dumps([codec.encode(value) for codec, value in zip(codecs, row, strict=True)])
            for row in rows
        ]
        self._member.write(b"\n".join(lines) + b"\n")

    def end_table(self) -> None:
        assert self._member is not None
        self._member.close()
        self._member = None

    def add_media(self, key: str, data: bytes) -> None:
        self._zip.writestr(MEDIA + key, data)

    def finish(self, manifest: Manifest) -> int:
        """Write the manifest, close the file and move it into place; returns its size."""
        self._zip.writestr(MANIFEST, manifest.to_json())
        self._zip.close()
        if self.destination.exists():
            raise BackupError(f"{self.destination} appeared while the backup was written")
        os.replace(self.partial, self.destination)
        return self.destination.stat().st_size

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            if self._member is not None:
                self._member.close()
            self._zip.close()
        self.partial.unlink(missing_ok=True)


# --- Reading -------------------------------------------------------------------------------


class ArchiveReader:
    """An archive checked as a whole when opened; rows are then read in batches. Blocking:
    call its methods from a worker thread, one at a time."""

    def __init__(self, source: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        try:
            self._zip = zipfile.ZipFile(source)
        except FileNotFoundError:
            raise BackupRejected(f"{source} does not exist") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupRejected(f"{source} is not a readable zip file ({exc})") from None
        try:
            self.manifest, self.media_keys = self._check(max_bytes)
        except BaseException:
            self._zip.close()
            raise

    def _check(self, max_bytes: int) -> tuple[Manifest, list[str]]:
        names: set[str] = set()
        tables: set[str] = set()
        media: list[str] = []
        total = 0
        for info in self._zip.infolist():
            name = info.filename
            if name in names:
                raise BackupRejected(f"the backup holds {name!r} twice")
            names.add(name)
            total += info.file_size
            if name == MANIFEST:
                continue
            if found := _TABLE_MEMBER.fullmatch(name):
                tables.add(found.group(1))
            elif name.startswith(MEDIA):
                media.append(_media_key(name))
                _check_ratio(info)
            else:
                raise BackupRejected(f"the backup holds an unexpected file {name!r}")
        if total > max_bytes:
            raise BackupRejected(
                f"the backup expands to {total:,} bytes, more than the {max_bytes:,} allowed"
            )
        if MANIFEST not in names:
            raise BackupRejected("this file is not a RecipeVault backup (no manifest.json)")
        if self._zip.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
            raise BackupRejected("manifest.json is too large")
        manifest = Manifest.parse(self._zip.read(MANIFEST))
        if set(manifest.tables) != tables:
            raise BackupRejected("the tables in manifest.json do not match the files in tables/")
        if manifest.media != len(media):
            raise BackupRejected(
                f"manifest.json counts {manifest.media} media files but the backup holds "
                f"{len(media)}"
            )
        return manifest, sorted(media)

    def batches(
        self, table: str, codecs: Sequence[ColumnCodec], size: int
    ) -> Generator[list[dict[str, Any]], None, None]:
        """The table's rows as bind parameters, ``size`` at a time."""
        member = table_member(table)
        with self._zip.open(member) as handle:
            header = _parse_line(handle, member, 1)
            expected = [[codec.key, codec.kind] for codec in codecs]
            if not isinstance(header, dict) or header.get("columns") != expected:
                raise BackupRejected(
                    f"{member} does not have the columns of the {table} table in this database"
                )
            line_number = 1
            batch: list[dict[str, Any]] = []
            while True:
                line_number += 1
                row = _parse_line(handle, member, line_number)
                if row is None:
                    break
                batch.append(_decode_row(row, codecs, member, line_number))
                if len(batch) == size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def read_media(self, key: str) -> bytes:
        return self._zip.read(MEDIA + key)

    def close(self) -> None:
        self._zip.close()


def _check_ratio(info: zipfile.ZipInfo) -> None:
    if info.file_size > MEDIA_RATIO_GRACE_BYTES and (
        info.file_size > info.compress_size * MAX_MEDIA_RATIO
    ):
        raise BackupRejected(
            f"{info.filename} expands more than {MAX_MEDIA_RATIO} times (possible zip bomb)"
        )


def _media_key(name: str) -> str:
    key = name.removeprefix(MEDIA)
    if key.startswith("/") or "\\" in key or ".." in key.split("/"):
        raise BackupRejected(f"the backup holds an unsafe media path {name!r}")
    try:
        return validate_key(key)
    except InvalidMediaKey:
        raise BackupRejected(f"the backup holds an unsafe media path {name!r}") from None


def _parse_line(handle: IO[bytes], member: str, number: int) -> Any:
    """The line's JSON value, or None at the end of the member."""
    line = handle.readline(MAX_LINE_BYTES + 1)
    if not line:
        return None
    if len(line) > MAX_LINE_BYTES:
        raise BackupRejected(f"{member} line {number} is longer than {MAX_LINE_BYTES:,} bytes")
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BackupRejected(f"{member} line {number} is not valid JSON") from None
    if value is None:
        raise BackupRejected(f"{member} line {number} is not a row")
    return value


def _decode_row(
    row: Any, codecs: Sequence[ColumnCodec], member: str, number: int
) -> dict[str, Any]:
    if not isinstance(row, list) or len(row) != len(codecs):
        raise BackupRejected(f"{member} line {number} is not a row of {len(codecs)} values")
    values: dict[str, Any] = {}
    for codec, value in zip(codecs, row, strict=True):
        try:
            values[codec.key] = codec.decode(value)
        except ValueError as exc:
            raise BackupRejected(
                f"{member} line {number}: {codec.key} must be {exc}, not {value!r:.40}"
            ) from None
    return values
