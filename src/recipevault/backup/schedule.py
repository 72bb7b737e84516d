"""Keeping backups in a folder: their file names, pruning the oldest, and the scheduled
backups a job worker makes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio.to_thread
import structlog

from recipevault.backup.service import BackupSummary, create_backup
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.media.storage import MediaStorage, storage_from_settings

log = structlog.get_logger("recipevault.backup")

_BACKUP_NAME = re.compile(r"recipevault-backup-(\d{8}-\d{6})\.zip")
_NAME_TIME = "%Y%m%d-%H%M%S"


def backup_file_name(now: datetime) -> str:
    return f"recipevault-backup-{now.astimezone(UTC).strftime(_NAME_TIME)}.zip"


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
