"""Backing up the whole site, and restoring a backup into an empty instance.

A backup reads every table inside one transaction (REPEATABLE READ on PostgreSQL; on SQLite a
read transaction already sees one snapshot), streaming rows in primary-key order into the
archive a batch at a time, then adds every media file. See ``archive.py`` for the format.

A restore checks the archive, then writes every row in one transaction, so a failure leaves the
database as empty as it found it. Rows keep their primary keys and are inserted parents first;
foreign keys that form a cycle (or point into their own table) are filled in once every row is
there. Pre-serialized recipe documents are copied as they are, so their ETags stay valid; the
full-text index, which differs per database, is rebuilt from the recipes not in the trash, as the
recipes feature keeps it. On PostgreSQL every id sequence then continues after the largest id.
Media files are written last, inside the same attempt, and removed again if it fails.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import structlog
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Connection,
    MetaData,
    Table,
    bindparam,
    false,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import sort_tables_and_constraints

from recipevault import __version__
from recipevault.backup.archive import (
    DEFAULT_MAX_BYTES,
    ArchiveReader,
    ArchiveWriter,
    BackupError,
    BackupRejected,
    ColumnCodec,
    Manifest,
    SchemaMismatch,
    TargetNotEmpty,
    codec_for,
    table_member,
)
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Base, Database
from recipevault.media.storage import MediaNotFound, MediaStorage, storage_from_settings
from recipevault.migrate import MIGRATIONS_DIR, UNMODELLED_PREFIX
from recipevault.models import import_all_models
from recipevault.policy import unscoped
from recipevault.recipes import search
from recipevault.recipes.documents import full_recipe_options
from recipevault.recipes.models import Recipe

log = structlog.get_logger("recipevault.backup")

BATCH_ROWS = 500
SEARCH_BATCH = 200
# A restore that replaces a running site keeps its job log (the restore is one of its jobs).
KEPT_ON_REPLACE = frozenset({"jobs", "job_items"})
_BACKUP_NAME = re.compile(r"recipevault-backup-(\d{8}-\d{6})\.zip")
_NAME_TIME = "%Y%m%d-%H%M%S"

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
class RestoreSummary:
    schema_revision: str
    made_on: str
    created_at: datetime
    tables: dict[str, int]
    media: int
    indexed: int

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


def backup_file_name(now: datetime) -> str:
    return f"recipevault-backup-{now.astimezone(UTC).strftime(_NAME_TIME)}.zip"


async def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        await progress(done, total)


def _schema_revision(connection: Connection) -> str | None:
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
        revision = await connection.run_sync(_schema_revision)
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
                await _report(progress, sum(tables.values()) + media, total)
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
            await _report(progress, done + written, total)
    await anyio.to_thread.run_sync(writer.end_table)
    return written


# --- Restoring -----------------------------------------------------------------------------


async def restore_backup(
    database: Database,
    storage: MediaStorage,
    *,
    source: Path,
    progress: Progress | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    replace: bool = False,
) -> RestoreSummary:
    """Restore the archive at ``source`` into this empty, migrated database and media storage.

    With ``replace`` the site's current content is deleted first, in the same transaction, so
    a running site can go back to a backup: every table but the job log is replaced (jobs stay,
    their owners and recipes unlinked), and media files the backup lacks are removed once the
    restore has committed. Everyone is signed out, since sessions come from the backup too."""
    plans = table_plans()
    restored = [p for p in plans if not (replace and p.table.name in KEPT_ON_REPLACE)]
    reader = await anyio.to_thread.run_sync(partial(ArchiveReader, source, max_bytes=max_bytes))
    manifest = reader.manifest
    written: list[str] = []
    before = set(await storage.list()) if replace else set()
    try:
        async with database.session() as session, session.begin():
            connection = await session.connection()
            await _check_target(connection, storage, manifest, plans, replace=replace)
            if replace:
                await _clear_site(connection, restored)
            await _insert_rows(connection, reader, restored, progress)
            indexed = await _rebuild_search(session, connection)
            if connection.dialect.name == "postgresql":
                await _continue_sequences(connection, plans)
            total = sum(manifest.tables.values()) + manifest.media
            for key in reader.media_keys:
                data = await anyio.to_thread.run_sync(reader.read_media, key)
                content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
                await storage.put(key, data, content_type=content_type)
                if key not in before:
                    written.append(key)
                await _report(progress, total - manifest.media + len(written), total)
    except BaseException:
        with anyio.CancelScope(shield=True):
            for key in written:
                await storage.delete(key)
        raise
    finally:
        reader.close()
    for key in sorted(before - set(reader.media_keys)):
        await storage.delete(key)
    return RestoreSummary(
        schema_revision=manifest.schema_revision,
        made_on=manifest.database,
        created_at=manifest.created_at,
        tables=dict(manifest.tables),
        media=manifest.media,
        indexed=indexed,
    )


async def _check_target(
    connection: AsyncConnection,
    storage: MediaStorage,
    manifest: Manifest,
    plans: Sequence[TablePlan],
    *,
    replace: bool,
) -> None:
    current = await connection.run_sync(_schema_revision)
    if current != manifest.schema_revision:
        raise SchemaMismatch(_mismatch(manifest.schema_revision, current))
    known = {plan.table.name for plan in plans}
    if unknown := sorted(set(manifest.tables) - known):
        raise BackupRejected(f"the backup holds tables this database lacks: {', '.join(unknown)}")
    if missing := sorted(known - set(manifest.tables)):
        raise BackupRejected(f"the backup lacks tables: {', '.join(missing)}")
    if replace:
        return
    occupied = [
        plan.table.name
        for plan in plans
        if (await connection.execute(select(literal(1)).select_from(plan.table).limit(1))).first()
    ]
    if occupied:
        raise TargetNotEmpty(
            f"the database is not empty ({', '.join(occupied[:5])} have rows); restore into a "
            "new database prepared with `recipevault db upgrade`"
        )
    if present := await storage.list():
        raise TargetNotEmpty(
            f"the media folder already holds {len(present)} files; restore into an empty one"
        )


async def _clear_site(connection: AsyncConnection, plans: Sequence[TablePlan]) -> None:
    """Delete the rows the restore replaces, children before parents."""
    jobs = Base.metadata.tables["jobs"]
    items = Base.metadata.tables["job_items"]
    await connection.execute(update(jobs).values(owner_id=None))
    await connection.execute(update(items).values(recipe_id=None))
    await search.clear_index(connection)
    for plan in reversed(plans):
        await connection.execute(plan.table.delete())


def _mismatch(wanted: str, current: str | None) -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    try:
        script.get_revision(wanted)
    except CommandError:
        return (
            f"the backup is at schema revision {wanted}, which this version of RecipeVault does "
            "not know: restore it with the version that made it, or a newer one"
        )
    if current is None:
        return f"the database has no schema: run `recipevault db upgrade {wanted}`, then restore"
    ancestors = {revision.revision for revision in script.iterate_revisions(current, "base")}
    step = "downgrade" if wanted in ancestors else "upgrade"
    return (
        f"the backup is at schema revision {wanted} but the database is at {current}: run "
        f"`recipevault db {step} {wanted}` on the empty database, restore, then "
        "`recipevault db upgrade`"
    )


async def _insert_rows(
    connection: AsyncConnection,
    reader: ArchiveReader,
    plans: Sequence[TablePlan],
    progress: Progress | None,
) -> None:
    manifest = reader.manifest
    total = sum(manifest.tables.values()) + manifest.media
    done = 0
    for plan in plans:
        count = await _insert_table(connection, reader, plan, done, total, progress)
        expected = manifest.tables[plan.table.name]
        if count != expected:
            raise BackupRejected(
                f"{table_member(plan.table.name)} holds {count} rows but manifest.json "
                f"counts {expected}"
            )
        done += count
    for plan in plans:
        if plan.deferred:
            await _fill_deferred(connection, reader, plan)


async def _insert_table(
    connection: AsyncConnection,
    reader: ArchiveReader,
    plan: TablePlan,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    statement = insert(plan.table)
    count = 0

    async def write(batch: list[dict[str, Any]]) -> None:
        nonlocal count
        for row in batch:
            row.update(dict.fromkeys(plan.deferred))
        await _execute(connection, plan, statement, batch)
        count += len(batch)
        await _report(progress, done + count, total)

    await _each_batch(reader, plan, write)
    return count


async def _each_batch(
    reader: ArchiveReader,
    plan: TablePlan,
    handle: Callable[[list[dict[str, Any]]], Awaitable[None]],
) -> None:
    """Hand the table's rows to ``handle`` a batch at a time, decoded in a worker thread."""
    batches = reader.batches(plan.table.name, plan.codecs, BATCH_ROWS)
    try:
        while (batch := await anyio.to_thread.run_sync(next, batches, None)) is not None:
            await handle(batch)
    finally:
        batches.close()


async def _execute(
    connection: AsyncConnection, plan: TablePlan, statement: Any, rows: list[dict[str, Any]]
) -> None:
    try:
        await connection.execute(statement, rows)
    except StatementError as exc:
        original = getattr(exc, "orig", None) or exc
        reason = (str(original).strip().splitlines() or [type(original).__name__])[0]
        raise BackupRejected(
            f"the rows of {table_member(plan.table.name)} could not be written: {reason}"
        ) from None


async def _fill_deferred(
    connection: AsyncConnection, reader: ArchiveReader, plan: TablePlan
) -> None:
    table = plan.table
    keys = table.primary_key.columns
    # Columns set on every update (an "updated at") keep the value they had.
    kept = [c.key for c in table.columns if c.onupdate is not None and c.key not in plan.deferred]
    statement = (
        update(table)
        .where(*(column == bindparam(f"pk_{column.key}") for column in keys))
        .values(
            {
                key: bindparam(f"new_{key}", type_=table.columns[key].type)
                for key in (*plan.deferred, *kept)
            }
        )
    )

    async def fill(batch: list[dict[str, Any]]) -> None:
        rows = [
            {f"pk_{column.key}": row[column.key] for column in keys}
            | {f"new_{key}": row[key] for key in (*plan.deferred, *kept)}
            for row in batch
            if any(row[key] is not None for key in plan.deferred)
        ]
        if rows:
            await _execute(connection, plan, statement, rows)

    await _each_batch(reader, plan, fill)


async def _rebuild_search(session: AsyncSession, connection: AsyncConnection) -> int:
    recipes = Recipe.__table__
    ids = (
        await connection.execute(
            select(recipes.c.id).where(recipes.c.deleted_at.is_(None)).order_by(recipes.c.id)
        )
    ).scalars()
    recipe_ids = list(ids)
    for start in range(0, len(recipe_ids), SEARCH_BATCH):
        batch = recipe_ids[start : start + SEARCH_BATCH]
        loaded = (
            await session.scalars(
                unscoped(select(Recipe).where(Recipe.id.in_(batch)).order_by(Recipe.id)).options(
                    *full_recipe_options()
                )
            )
        ).all()
        await search.index_recipes(session, loaded)
        session.expunge_all()
    return len(recipe_ids)


async def _continue_sequences(connection: AsyncConnection, plans: Sequence[TablePlan]) -> None:
    preparer = connection.dialect.identifier_preparer
    for plan in plans:
        column = plan.table.autoincrement_column
        if column is None:
            continue
        following = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(preparer.format_table(plan.table), column.name)
        await connection.execute(select(func.setval(sequence, following, false())))


# --- Keeping backups -----------------------------------------------------------------------


def backup_files(folder: Path) -> list[Path]:
    """Backup files in ``folder``, newest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    found = [path for path in folder.iterdir() if _BACKUP_NAME.fullmatch(path.name)]
    return sorted((path for path in found if path.is_file()), key=lambda p: p.name, reverse=True)


def _prune(folder: Path, keep: int) -> list[Path]:
    removed = backup_files(folder)[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return sorted(removed)


async def prune_backups(folder: Path, *, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``folder``; returns what was deleted.
    Only files named like ``backup_file_name`` count: nothing else there is touched."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    return await anyio.to_thread.run_sync(_prune, folder, keep)


def _latest(folder: Path) -> datetime | None:
    for path in backup_files(folder):
        found = _BACKUP_NAME.fullmatch(path.name)
        assert found is not None
        return datetime.strptime(found.group(1), _NAME_TIME).replace(tzinfo=UTC)
    return None


async def backup_if_due(
    database: Database,
    storage: MediaStorage,
    *,
    folder: Path,
    every_hours: int,
    keep: int,
    now: datetime | None = None,
) -> BackupSummary | None:
    """Make a backup in ``folder`` when the newest there is ``every_hours`` old (0: never),
    then keep only the newest ``keep``."""
    if every_hours <= 0:
        return None
    now = now or utcnow()
    latest = await anyio.to_thread.run_sync(_latest, folder)
    if latest is not None and now - latest < timedelta(hours=every_hours):
        return None
    summary = await create_backup(
        database, storage, destination=folder / backup_file_name(now), progress=None
    )
    await prune_backups(folder, keep=keep)
    return summary


async def scheduled_backup(database: Database, settings: Settings, queue: object) -> None:
    """A job worker's maintenance task: backups every ``RECIPEVAULT_BACKUP_EVERY_HOURS`` into
    ``RECIPEVAULT_BACKUP_DIR``, keeping ``RECIPEVAULT_BACKUP_KEEP`` of them."""
    summary = await backup_if_due(
        database,
        storage_from_settings(settings),
        folder=settings.backup_dir,
        every_hours=settings.backup_every_hours,
        keep=settings.backup_keep,
    )
    if summary is not None:
        log.info(
            "scheduled backup written",
            path=str(summary.path),
            rows=summary.rows,
            media=summary.media,
            size=summary.size,
        )
