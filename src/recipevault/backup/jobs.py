"""Backups as jobs: one an admin asked for from the admin pages, and the scheduled ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.backup.restore import restore_backup
from recipevault.backup.schedule import (
    backup_file_name,
    backup_files,
    prune_backups,
    scheduled_backup,
)
from recipevault.backup.service import create_backup
from recipevault.clock import utcnow
from recipevault.errors import NotFound, ValidationFailed, field_errors
from recipevault.jobs.models import Job
from recipevault.jobs.queue import JobQueue
from recipevault.jobs.runner import JobContext, job_handler
from recipevault.jobs.service import create_job
from recipevault.jobs.worker import MAINTENANCE
from recipevault.media.storage import storage_from_settings

BACKUP = "backup"
RESTORE = "restore"


class BackupNotFound(NotFound):
    code = "backup-not-found"
    title = "Backup not found"


class RestoreNotConfirmed(ValidationFailed):
    def __init__(self) -> None:
        super().__init__(
            "Type the backup's file name to confirm.",
            extra=field_errors("confirm", "Must be the backup's file name"),
        )


@dataclass(frozen=True, slots=True)
class BackupFile:
    name: str
    size: int
    modified_at: datetime


def _describe(folder: Path) -> list[BackupFile]:
    found = []
    for path in backup_files(folder):
        stat = path.stat()
        found.append(
            BackupFile(path.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))
        )
    return found


async def list_backups(folder: Path) -> list[BackupFile]:
    """The backups in the folder, newest first."""
    return await anyio.to_thread.run_sync(_describe, folder)


async def start_backup(session: AsyncSession, *, queue: JobQueue, admin_id: int) -> Job:
    return await create_job(session, queue=queue, kind=BACKUP, owner_id=admin_id, payload={})


async def start_restore(
    session: AsyncSession, *, queue: JobQueue, admin_id: int, folder: Path, name: str, confirm: str
) -> Job:
    """Queue the replacement of the site's content by a backup from the folder; the admin
    confirms by typing its file name."""
    path = await anyio.to_thread.run_sync(find_backup, folder, name)
    if confirm.strip() != path.name:
        raise RestoreNotConfirmed()
    return await create_job(
        session, queue=queue, kind=RESTORE, owner_id=admin_id, payload={"name": path.name}
    )


def find_backup(folder: Path, name: str) -> Path:
    """A backup file in the folder by its exact name (nothing else there is reachable)."""
    for path in backup_files(folder):
        if path.name == name:
            return path
    raise BackupNotFound()


@job_handler(BACKUP)
async def backup_site(context: JobContext) -> dict[str, Any]:
    folder = context.settings.backup_dir
    destination = folder / backup_file_name(utcnow())

    async def progress(done: int, total: int) -> None:
        await context.set_progress(done=done, total=total)

    summary = await create_backup(
        context.database,
        storage_from_settings(context.settings),
        destination=destination,
        progress=progress,
    )
    removed = await prune_backups(folder, keep=context.settings.backup_keep)
    return {
        "file_name": summary.path.name,
        "size": summary.size,
        "rows": summary.rows,
        "media": summary.media,
        "schema_revision": summary.schema_revision,
        "removed": [path.name for path in removed],
    }


@job_handler(RESTORE)
async def restore_site(context: JobContext) -> dict[str, Any]:
    """Replace the site's content with a backup from the backup folder (admins chose it)."""
    path = find_backup(context.settings.backup_dir, context.payload["name"])
    summary = await restore_backup(
        context.database,
        storage_from_settings(context.settings),
        source=path,
        replace=True,
    )
    return {
        "file_name": path.name,
        "rows": sum(summary.tables.values()),
        "media": summary.media,
        "made_on": summary.made_on,
        "made_at": summary.created_at.isoformat(),
    }


MAINTENANCE.append(scheduled_backup)
