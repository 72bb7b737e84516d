"""`recipevault backup create` and `recipevault backup restore`, run as an operator would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recipevault.backup.schedule import backup_file_name
from tests.backup import Instance, Site, dump, media_of, new_instance, populate
from tests.support.database import DatabaseFactory

# The command as `recipevault` runs it, with its error handling, and the backup commands
# registered whether or not the main command has them yet.
_MAIN = (
    "from recipevault.backup.cli import backup_app\n"
    "from recipevault.cli import app, main\n"
    "if not any(group.name == 'backup' for group in app.registered_groups):\n"
    "    app.add_typer(backup_app, name='backup')\n"
    "main()\n"
)


def run_backup(
    *args: str, instance: Instance, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RECIPEVAULT_")}
    full_env |= {
        "RECIPEVAULT_ENV": "test",
        "RECIPEVAULT_DATABASE_URL": instance.url,
        "RECIPEVAULT_MEDIA_DIR": str(instance.settings.media_dir),
        "RECIPEVAULT_BACKUP_DIR": str(instance.settings.backup_dir),
    }
    full_env |= env or {}
    return subprocess.run(
        [sys.executable, "-c", _MAIN, "backup", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
async def source(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Instance, Site]]:
    async with new_instance(databases, tmp_path_factory.mktemp("source"), "source") as instance:
        yield instance, await populate(instance)


@pytest.fixture
async def target(databases: DatabaseFactory, tmp_path: Path) -> AsyncIterator[Instance]:
    async with new_instance(databases, tmp_path, "target") as instance:
        yield instance


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _MAIN, "backup", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "create" in result.stdout
    assert "restore" in result.stdout


async def test_create_then_restore(
    source: tuple[Instance, Site], target: Instance, tmp_path: Path
) -> None:
    instance, site = source
    archive = tmp_path / "site.zip"

    made = run_backup("create", "--output", str(archive), instance=instance, cwd=tmp_path)

    assert made.returncode == 0, made.stderr
    assert re.fullmatch(
        rf"backed up [\d,]+ rows from \d+ tables and 3 media files to {re.escape(str(archive))} "
        r"\([\d.]+ KB\) in [\d.]+ s\n",
        made.stdout,
    ), made.stdout
    assert archive.is_file()

    restored = run_backup("restore", str(archive), instance=target, cwd=tmp_path)

    assert restored.returncode == 0, restored.stderr
    assert re.fullmatch(
        rf"restored [\d,]+ rows into \d+ tables and 3 media files from {re.escape(str(archive))} "
        rf"\(made on {instance.database.dialect_name} at [\d-]+ [\d:]+ UTC\) in [\d.]+ s\n",
        restored.stdout,
    ), restored.stdout
    assert await dump(target.database) == await dump(instance.database)
    assert await media_of(target.storage) == site.media


async def test_create_by_default_writes_to_the_backup_folder_and_keeps_the_newest(
    source: tuple[Instance, Site], tmp_path: Path
) -> None:
    instance, _ = source
    folder = tmp_path / "backups"
    folder.mkdir()
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    old = [folder / backup_file_name(long_ago + timedelta(days=n)) for n in range(3)]
    for path in old:
        path.write_bytes(b"old")

    result = run_backup(
        "create",
        instance=instance,
        cwd=tmp_path,
        env={"RECIPEVAULT_BACKUP_DIR": str(folder), "RECIPEVAULT_BACKUP_KEEP": "2"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "removed 2 older backups (keeping 2)"
    kept = sorted(path.name for path in folder.iterdir())
    assert kept[0] == old[2].name
    assert re.fullmatch(r"recipevault-backup-\d{8}-\d{6}\.zip", kept[1])
    assert len(kept) == 2


async def test_failures_are_one_line_and_a_non_zero_exit(
    source: tuple[Instance, Site], tmp_path: Path
) -> None:
    instance, _ = source
    taken = tmp_path / "taken.zip"
    taken.write_bytes(b"x")
    cases = [
        (("restore", str(taken.with_name("missing.zip"))), {}, "missing.zip does not exist"),
        (("restore", str(taken)), {}, "is not a readable zip file"),
        (("create", "--output", str(taken)), {}, "already exists"),
        (
            ("create",),
            {"RECIPEVAULT_DATABASE_URL": "postgresql://nobody@/x?host=/nonexistent"},
            "database error",
        ),
        (("create",), {"RECIPEVAULT_BACKUP_KEEP": "0"}, "RECIPEVAULT_BACKUP_KEEP"),
    ]
    archive = tmp_path / "site.zip"
    assert run_backup("create", "--output", str(archive), instance=instance, cwd=tmp_path)
    cases.append((("restore", str(archive)), {}, "the database is not empty"))
    for args, env, expected in cases:
        result = run_backup(*args, instance=instance, cwd=tmp_path, env=env)
        assert result.returncode == 1, (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("recipevault: ")
        assert expected in lines[0]
        assert "Traceback" not in result.stderr
