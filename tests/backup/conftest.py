"""The populated site the backup tests read, and the empty ones they restore into."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from recipevault.backup.service import create_backup
from tests.backup import Instance, Source, new_instance, populate
from tests.support.database import DatabaseFactory


@pytest.fixture(scope="package")
async def source(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Source]:
    """One populated site per backend, shared by the backup tests; none changes it."""
    async with new_instance(databases, tmp_path_factory.mktemp("source"), "source") as instance:
        yield instance, await populate(instance)


@pytest.fixture(scope="package")
async def archive(source: Source, tmp_path_factory: pytest.TempPathFactory) -> Path:
    instance, _ = source
    path = tmp_path_factory.mktemp("archive") / "site.zip"
    await create_backup(instance.database, instance.storage, destination=path)
    return path


@pytest.fixture
async def target(databases: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Instance]:
    async with new_instance(databases, tmp_path, "target") as instance:
        yield instance
