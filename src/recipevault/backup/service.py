"""Backing up the whole site: every table as the archive holds it, and writing the archive.
``restore.py`` reads one back; ``schedule.py`` keeps them in a folder.

A backup reads every table inside one transaction (REPEATABLE READ on PostgreSQL; on SQLite a
read transaction already sees one snapshot), streaming rows in primary-key order into the
archive a batch at a time, then adds every media file. See ``archive.py`` for the format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
import structlog
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import sort_tables_and_constraints

from recipevault import __version__
from recipevault.backup.archive import ArchiveWriter, BackupError, Manifest
from recipevault.backup.codecs import ColumnCodec, codec_for
from recipevault.clock import utcnow
from recipevault.db import Base, Database
from recipevault.db.migrate import UNMODELLED_PREFIX
from recipevault.media.storage import MediaNotFound, MediaStorage
from recipevault.models import import_all_models

log = structlog.get_logger("recipevault.backup")

BATCH_ROWS = 500

Progress = Callable[[int, int], Awaitable[None]]
"""Called with (done, total): rows and media files handled so far, and in all."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    schema_revision: str
    tables: dict[str, int]
    media: int
    size: int

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class TablePlan:
    """A table as the archive holds it; ``deferred`` foreign keys are set after all rows."""

    table: Table
    codecs: tuple[ColumnCodec, ...]
    deferred: tuple[str, ...] = ()


def table_plans(metadata: MetaData | None = None) -> list[TablePlan]:
    """Every table, parents before the tables that refer to them."""
    if metadata is None:
        import_all_models()
        metadata = Base.metadata
    ordered = sort_tables_and_constraints(metadata.tables.values())  # type: ignore[no-untyped-call]
    cyclic = {fkc for table, fkcs in ordered if table is None for fkc in fkcs}
    plans = []
    for table, _ in ordered:
        if table is None:
            continue
        deferred = [
            column
            for fkc in table.foreign_key_constraints
            if fkc in cyclic or fkc.referred_table is table
            for column in fkc.columns
        ]
        if required := [column for column in deferred if not column.nullable]:
            raise TypeError(f"cannot restore {required[0]}: a cyclic foreign key must be nullable")
        plans.append(
            TablePlan(
                table=table,
                codecs=tuple(codec_for(column) for column in table.columns),
                deferred=tuple(column.key for column in deferred),
            )
        )
    return plans


async def report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        await progress(done, total)


def schema_revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(heads) if heads else None


def _unmodelled_tables(connection: Connection, known: set[str]) -> list[str]:
    """Tables a backup would miss: neither a model's, Alembic's, nor the search index's
    (which is rebuilt on restore)."""
    return sorted(
        name
        for name in inspect(connection).get_table_names()
        if name not in known
        and name != "alembic_version"
        and not name.startswith(UNMODELLED_PREFIX)
    )


# --- Backing up ----------------------------------------------------------------------------


@asynccontextmanager
async def _snapshot(database: Database) -> AsyncIterator[AsyncConnection]:
    if isinstance(database.bind, AsyncConnection):
        yield database.bind
        return
    async with database.bind.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Every table as of one moment, whatever commits while the backup runs.
            connection = await connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        async with connection.begin():
            yield connection


async def create_backup(
    database: Database,
    storage: MediaStorage,
    *,
    destination: Path,
    progress: Progress | None = None,
) -> BackupSummary:
    """Write every row and media file to a new archive at ``destination``."""
    plans = table_plans()
    async with _snapshot(database) as connection:
        revision = await connection.run_sync(schema_revision)
        if revision is None:
            raise BackupError("the database has no schema yet; run `recipevault db upgrade`")
        known = {plan.table.name for plan in plans}
        if unknown := await connection.run_sync(_unmodelled_tables, known):
            raise BackupError(
                f"the database has tables no model describes ({', '.join(unknown)}); a backup "
                "would leave them out"
            )
        counts = [
            await connection.scalar(select(func.count()).select_from(plan.table)) for plan in plans
        ]
        keys = await storage.list()
        total = sum(count or 0 for count in counts) + len(keys)
        writer = await anyio.to_thread.run_sync(ArchiveWriter, destination)
        try:
            tables: dict[str, int] = {}
            for plan in plans:
                tables[plan.table.name] = await _write_table(
                    connection, writer, plan, sum(tables.values()), total, progress
                )
            media = 0
            for key in keys:
                try:
                    data = await storage.get(key)
                except MediaNotFound:
                    continue  # deleted since it was listed
                await anyio.to_thread.run_sync(writer.add_media, key, data)
                media += 1
                await report(progress, sum(tables.values()) + media, total)
            manifest = Manifest(
                schema_revision=revision,
                created_at=utcnow(),
                database=connection.dialect.name,
                app_version=__version__,
                tables=tables,
                media=media,
            )
            size = await anyio.to_thread.run_sync(writer.finish, manifest)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(writer.abort)
            raise
    return BackupSummary(
        path=destination, schema_revision=revision, tables=tables, media=media, size=size
    )


async def _write_table(
    connection: AsyncConnection,
    writer: ArchiveWriter,
    plan: TablePlan,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    await anyio.to_thread.run_sync(writer.begin_table, plan.table.name, plan.codecs)
    statement = select(*(codec.read() for codec in plan.codecs)).order_by(
        *plan.table.primary_key.columns
    )
    written = 0
    async with connection.stream(statement) as result:
        async for rows in result.partitions(BATCH_ROWS):
            await anyio.to_thread.run_sync(writer.write_rows, rows)
            written += len(rows)
            await report(progress, done + written, total)
    await anyio.to_thread.run_sync(writer.end_table)
    return written
