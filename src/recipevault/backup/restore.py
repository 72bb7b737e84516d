"""Restoring a backup into an empty instance, or in place of a running site's content.

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import bindparam, false, func, insert, literal, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

from recipevault.backup.archive import (
    DEFAULT_MAX_BYTES,
    ArchiveReader,
    BackupRejected,
    Manifest,
    SchemaMismatch,
    TargetNotEmpty,
    table_member,
)
from recipevault.backup.service import (
    BATCH_ROWS,
    Progress,
    TablePlan,
    report,
    schema_revision,
    table_plans,
)
from recipevault.db import Base, Database
from recipevault.db.migrate import MIGRATIONS_DIR
from recipevault.media.storage import MediaStorage
from recipevault.recipes.search import index as search

SEARCH_BATCH = 200
# A restore that replaces a running site keeps its job log (the restore is one of its jobs).
KEPT_ON_REPLACE = frozenset({"jobs", "job_items"})


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
            indexed = await search.rebuild_index(session, batch_size=SEARCH_BATCH)
            if connection.dialect.name == "postgresql":
                await _continue_sequences(connection, plans)
            total = sum(manifest.tables.values()) + manifest.media
            for key in reader.media_keys:
                data = await anyio.to_thread.run_sync(reader.read_media, key)
                content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
                await storage.put(key, data, content_type=content_type)
                if key not in before:
                    written.append(key)
                await report(progress, total - manifest.media + len(written), total)
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
    current = await connection.run_sync(schema_revision)
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
        await report(progress, done + count, total)

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


async def _continue_sequences(connection: AsyncConnection, plans: Sequence[TablePlan]) -> None:
    preparer = connection.dialect.identifier_preparer
    for plan in plans:
        column = plan.table.autoincrement_column
        if column is None:
            continue
        following = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        sequence = func.pg_get_serial_sequence(preparer.format_table(plan.table), column.name)
        await connection.execute(select(func.setval(sequence, following, false())))
