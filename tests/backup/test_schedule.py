"""Backups kept in a folder: their names, pruning, and the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recipevault.backup.schedule import (
    backup_file_name,
    backup_if_due,
    prune_backups,
    scheduled_backup,
)
from recipevault.backup.service import BackupSummary
from tests.backup import Source, files_in
from tests.support.app import make_settings


def test_backup_file_names_sort_by_time() -> None:
    moment = datetime(2026, 11, 22, 10, 5, 3, tzinfo=UTC)
    assert backup_file_name(moment) == "recipevault-backup-20261122-100503.zip"
    elsewhere = moment.astimezone(datetime.fromisoformat("2026-01-01T00:00+05:30").tzinfo)
    assert backup_file_name(elsewhere) == backup_file_name(moment)


async def test_pruning_keeps_the_newest_backups_and_nothing_else_is_touched(
    tmp_path: Path,
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [tmp_path / backup_file_name(start + timedelta(hours=n)) for n in range(5)]
    others = [
        tmp_path / "notes.txt",
        tmp_path / "recipevault-backup-latest.zip",
        tmp_path / f".{made[0].name}.partial",
    ]
    for path in (*made, *others):
        path.write_bytes(b"x")

    removed = await prune_backups(tmp_path, keep=2)

    assert removed == made[:3]
    assert files_in(tmp_path) == sorted([*made[3:], *others])
    assert await prune_backups(tmp_path, keep=2) == []
    assert await prune_backups(tmp_path / "missing", keep=1) == []
    with pytest.raises(ValueError, match="keep at least one"):
        await prune_backups(tmp_path, keep=0)


async def test_scheduled_backups_run_when_due_and_keep_a_few(
    source: Source, tmp_path: Path
) -> None:
    instance, _ = source
    folder = tmp_path / "backups"
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    async def due(at: datetime, every_hours: int = 24) -> BackupSummary | None:
        return await backup_if_due(
            instance.database,
            instance.storage,
            folder=folder,
            every_hours=every_hours,
            keep=2,
            now=at,
        )

    assert await due(now, every_hours=0) is None
    first = await due(now)
    assert first is not None
    assert first.path == folder / backup_file_name(now)
    assert await due(now + timedelta(hours=23)) is None
    assert await due(now + timedelta(hours=24)) is not None
    assert await due(now + timedelta(hours=48)) is not None
    assert files_in(folder) == [
        folder / backup_file_name(now + timedelta(hours=24)),
        folder / backup_file_name(now + timedelta(hours=48)),
    ]

    settings = make_settings(
        instance.url,
        media_dir=instance.settings.media_dir,
        backup_dir=tmp_path / "scheduled",
        backup_every_hours=6,
        backup_keep=1,
    )
    await scheduled_backup(instance.database, settings, None)
    await scheduled_backup(instance.database, settings, None)
    assert len(files_in(tmp_path / "scheduled")) == 1
