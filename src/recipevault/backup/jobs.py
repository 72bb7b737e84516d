"""Backups as jobs: one an admin asked for from the admin pages, and the scheduled ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recipevault.backup.service import (
    backup_file_name,
    backup_files,
    create_backup,
    prune_backups,
    restore_backup,
    scheduled_backup,
)
from recipevault.clock import utcnow
from recipevault.errors import NotFound
from recipevault.jobs.runner import JobContext, job_handler
from recipevault.jobs.worker import MAINTENANCE
from recipevault.media.storage import storage_from_settings

BACKUP = "backup"
RESTORE = "restore"


class BackupNotFound(NotFound):
    code = "backup-not-found"
    title = "Backup not found"


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
