"""Making backups of whole instances, and the order their tables are written and restored in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from recipevault.backup.archive import BackupError
from recipevault.backup.service import create_backup, table_plans
from recipevault.db import Base
from recipevault.media.storage import MediaStorage
from tests.backup import Source, files_in, new_instance
from tests.support.database import DatabaseFactory


async def test_a_backup_never_replaces_a_file(source: Source, tmp_path: Path) -> None:
    instance, _ = source
    existing = tmp_path / "taken.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        await create_backup(instance.database, instance.storage, destination=existing)
    assert existing.read_bytes() == b"keep me"
    assert files_in(tmp_path) == [existing]


class BrokenStorage:
    """Lists files, then fails to read them."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    async def list(self, prefix: str = "") -> list[str]:
        return await self.storage.list(prefix)

    async def get(self, key: str) -> bytes:
        raise OSError("disk on fire")


async def test_a_failed_backup_leaves_no_file(source: Source, tmp_path: Path) -> None:
    instance, _ = source
    broken: Any = BrokenStorage(instance.storage)
    with pytest.raises(OSError, match="disk on fire"):
        await create_backup(instance.database, broken, destination=tmp_path / "site.zip")
    assert files_in(tmp_path) == []


async def test_a_database_without_schema_cannot_be_backed_up(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    async with new_instance(databases, tmp_path, "bare", revision="base") as bare:
        with pytest.raises(BackupError, match="no schema yet"):
            await create_backup(bare.database, bare.storage, destination=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


async def test_a_table_no_model_describes_stops_the_backup(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    async with new_instance(databases, tmp_path, "extra") as extra:
        async with extra.database.session() as session:
            await session.execute(text("CREATE TABLE stray_notes (id INTEGER PRIMARY KEY)"))
            await session.commit()
        with pytest.raises(BackupError, match=r"tables no model describes \(stray_notes\)"):
            await create_backup(extra.database, extra.storage, destination=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


# --- Tables in order -----------------------------------------------------------------------


def test_tables_are_restored_parents_first() -> None:
    plans = table_plans()
    order = [plan.table.name for plan in plans]
    assert sorted(order) == sorted(Base.metadata.tables)
    for plan in plans:
        # A row may refer to a row of its own table (leftovers of a planned meal): such
        # columns are set once every row is in.
        own = tuple(k.parent.key for k in plan.table.foreign_keys if k.column.table is plan.table)
        assert plan.deferred == own
        for key in plan.table.foreign_keys:
            if key.column.table is not plan.table:
                assert order.index(key.column.table.name) < order.index(plan.table.name)
